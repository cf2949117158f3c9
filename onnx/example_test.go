package onnx_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/onnx"
)

// Export a network with LightNL blocks, built from arch strings, for
// 64×64 RGB images that the model normalizes itself.
func ExampleWriteFile() {
	arch := "r1_k3_s11_e1_i16_o16\nr1_k5_s22_e6_i16_o24_se0.25_nonlocal0.25-2\n"
	net, err := models.Build(models.MustParseArch(arch), models.Config{Classes: 10, Activation: models.Swish},
		rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "onnx-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net.onnx")
	err = onnx.WriteFile(path, net, onnx.Config{
		Input: [3]int{3, 64, 64},
		Mean:  []float32{0.485, 0.456, 0.406},
		Std:   []float32{0.229, 0.224, 0.225},
	})
	if err != nil {
		log.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Size() > 0)
	// Output: true
}
