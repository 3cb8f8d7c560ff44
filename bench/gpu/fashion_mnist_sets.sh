# shellcheck shell=bash
# The --set arguments the Fashion-MNIST device runs share; sourced by full_fashion_mnist.sh,
# resnet20_fashion_mnist.sh and adopt_trainings.sh, so that a stage key computed in one is the key in the others.

# All of Fashion-MNIST from the IDX files carried as .data/fashion-mnist.
FMNIST_DATA=(--set data.dir=.data/fashion-mnist --set data.limit_train=null --set data.limit_test=null)

# Issue 17's ResNet20 stage matrix. push and commit must name the same params as the repro: they decide which
# stages the matrix groups hold.
R20_MATRIX=(--set 'grid.alpha=[-2, -1, -0.5, -0.2, 0, 0.2, 0.5, 1, 2]' --set 'grid.seeds=[1, 2, 3]'
  --set 'bidirectional.seeds=[1, 2, 3]' --set 'bidirectional.methods=[noise, pgd]')
