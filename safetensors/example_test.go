package safetensors_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/autonl-go/autonl/safetensors"
)

func Example() {
	// Write two tensors and some metadata.
	var buf bytes.Buffer
	err := safetensors.Write(&buf, []safetensors.Tensor{
		{Name: "fc.weight", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "fc.bias", Shape: []int{2}, Data: []float32{0.5, -0.5}},
	}, map[string]string{"epoch": "7"})
	if err != nil {
		log.Fatal(err)
	}

	// Read them back.
	f, err := safetensors.Read(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("epoch:", f.Metadata["epoch"])
	for _, name := range f.Names() {
		data, shape, err := f.Float32(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, shape, data)
	}
	// Output:
	// epoch: 7
	// fc.bias [2] [0.5 -0.5]
	// fc.weight [2 3] [1 2 3 4 5 6]
}
