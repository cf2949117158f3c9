package models

// Architectures of the model zoo as block-string text for [ParseArch] (or
// [MustParseArch]). Each is the body between the stem (3×3 stride-2 conv to
// 32 channels) and the head (1×1 conv to 1280 channels, pooling, classifier);
// the first block's input width is the stem's width. Comments give the
// layer indices after [Unroll] and the output resolution at 224×224 input.

// MnasNetA1Arch is MnasNet-A1 (Tan et al., CVPR 2019) as in the MnasNet
// reference code: 7 block strings, 16 layers.
const MnasNetA1Arch = `
r1_k3_s11_e1_i32_o16_noskip    # 0       112
r2_k3_s22_e6_i16_o24           # 1-2     56
r3_k5_s22_e3_i24_o40_se0.25    # 3-5     28
r4_k3_s22_e6_i40_o80           # 6-9     14
r2_k3_s11_e6_i80_o112_se0.25   # 10-11   14
r3_k5_s22_e6_i112_o160_se0.25  # 12-14   7
r1_k3_s11_e6_i160_o320         # 15      7
`

// SinglePathNASArch is the final Single-Path NAS network (Stamoulis et al.,
// 2019): 10 block strings, 21 layers.
const SinglePathNASArch = `
r1_k3_s11_e1_i32_o16_noskip    # 0       112
r3_k3_s22_e3_i16_o24           # 1-3     56
r1_k5_s22_e6_i24_o40           # 4       28
r3_k3_s11_e3_i40_o40           # 5-7     28
r1_k5_s22_e6_i40_o80           # 8       14
r3_k3_s11_e3_i80_o80           # 9-11    14
r1_k5_s11_e6_i80_o96           # 12      14
r3_k5_s11_e3_i96_o96           # 13-15   14
r4_k5_s22_e6_i96_o192          # 16-19   7
r1_k3_s11_e6_i192_o320         # 20      7
`

// AutoNLSArch is AutoNL-S, the smaller searched network of the AutoNL paper
// (267M multiply-adds): 18 layers, 7 of them followed by a LightNL block
// ("nonlocal<r>" has key stride 1, "nonlocal<r>-2" key stride 2).
const AutoNLSArch = `
r1_k3_s11_e1_i32_o16                            # 0       112
r1_k3_s22_e3_i16_o24_nonlocal0.25               # 1       56
r1_k3_s11_e3_i24_o24                            # 2       56
r1_k5_s22_e3_i24_o40_nonlocal0.25               # 3       28
r1_k3_s11_e3_i40_o40_nonlocal0.25-2             # 4       28
r1_k3_s11_e3_i40_o40                            # 5       28
r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.25        # 6       14
r2_k3_s11_e3_i80_o80_se0.5                      # 7-8     14
r1_k5_s11_e6_i80_o96_se0.25_nonlocal0.25        # 9       14
r3_k3_s11_e3_i96_o96_se0.5                      # 10-12   14
r1_k5_s22_e6_i96_o192_se0.25_nonlocal0.25       # 13      7
r3_k5_s11_e3_i192_o192_se0.5                    # 14-16   7
r1_k5_s11_e6_i192_o320_se0.5_nonlocal0.25       # 17      7
`

// AutoNLLArch is AutoNL-L, the larger searched network of the AutoNL paper
// (353M multiply-adds, 77.7% ImageNet top-1): 21 layers, 14 of them followed
// by a LightNL block.
const AutoNLLArch = `
r1_k3_s11_e1_i32_o16                            # 0       112
r1_k5_s22_e3_i16_o24_nonlocal0.25               # 1       56
r1_k5_s11_e3_i24_o24                            # 2       56
r1_k3_s11_e3_i24_o24_nonlocal0.25-2             # 3       56
r1_k5_s22_e6_i24_o40_nonlocal0.25               # 4       28
r3_k3_s11_e3_i40_o40_nonlocal0.25-2             # 5-7     28
r1_k5_s22_e6_i40_o80_nonlocal0.25               # 8       14
r2_k3_s11_e3_i80_o80_se0.5                      # 9-10    14
r1_k3_s11_e3_i80_o80_se0.5_nonlocal0.125-2      # 11      14
r1_k5_s11_e6_i80_o96_se0.5_nonlocal0.25         # 12      14
r2_k5_s11_e3_i96_o96_se0.5                      # 13-14   14
r1_k3_s11_e3_i96_o96_se0.5_nonlocal0.25-2       # 15      14
r1_k5_s22_e6_i96_o192_se0.5_nonlocal0.25        # 16      7
r2_k5_s11_e6_i192_o192_se0.5_nonlocal0.125      # 17-18   7
r1_k5_s11_e6_i192_o192_se0.5                    # 19      7
r1_k5_s11_e6_i192_o320_se0.5_nonlocal0.25       # 20      7
`

// MobileNetV2Arch is MobileNetV2 1.0 (Sandler et al., CVPR 2018) with the
// structure of torchvision's mobilenet_v2: the stages (t, c, n, s) = (1,16,1,1)
// (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1), all
// with 3×3 depthwise kernels and no squeeze-excite: 7 block strings, 17
// layers. (MobileNetV2 uses ReLU6; activations are not part of the strings.)
const MobileNetV2Arch = `
r1_k3_s11_e1_i32_o16           # 0       112
r2_k3_s22_e6_i16_o24           # 1-2     56
r3_k3_s22_e6_i24_o32           # 3-5     28
r4_k3_s22_e6_i32_o64           # 6-9     14
r3_k3_s11_e6_i64_o96           # 10-12   14
r3_k3_s22_e6_i96_o160          # 13-15   7
r1_k3_s11_e6_i160_o320         # 16      7
`
