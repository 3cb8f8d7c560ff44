# shellcheck shell=bash
# The --set arguments the Fashion-MNIST device runs share; sourced by full_fashion_mnist.sh,
# resnet20_fashion_mnist.sh and adopt_trainings.sh, so that a stage key computed in one is the key in the others.
# A run's arguments are FMNIST_DATA, then FULL_RUN, then (issue 17) R20_RUN: a later --set wins.

# All of Fashion-MNIST from the IDX files carried as .data/fashion-mnist.
FMNIST_DATA=(--set data.dir=.data/fashion-mnist --set data.limit_train=null --set data.limit_test=null)

# Issue 17's ResNet20 stage matrix. push and commit must name the same params as the repro: they decide which
# stages the matrix groups hold.
R20_MATRIX=(--set 'grid.alpha=[-2, -1, -0.5, -0.2, 0, 0.2, 0.5, 1, 2]' --set 'grid.seeds=[1, 2, 3]'
  --set 'bidirectional.seeds=[1, 2, 3]' --set 'bidirectional.methods=[noise, augmix, pgd]')

# Issue 15's full run with the cnn: the grid, the bidirectional methods, the measurement sizes.
FULL_RUN=(--set 'grid.alpha=[-1, -0.5, -0.2, 0, 0.2, 0.5, 1]' --set 'grid.seeds=[1, 2, 3]' --set train.epochs=8
  --set 'bidirectional.seeds=[1, 2, 3]' --set 'bidirectional.methods=[noise, augmix, pgd]'
  --set bidirectional.pgd.steps=5 --set bidirectional.pgd.eps_linf_255=4
  --set corrupt.limit=500 --set attack.n_examples=1000 --set attack.pgd.steps=20 --set attack.apgd.steps=20
  --set 'attack.eps_linf_255=[0, 1, 2, 4, 8, 16]' --set dim.n_samples=1000 --set grad.n_samples=300)

# Issue 17's ResNet20 run, on top of FULL_RUN: the model, its epochs (EPOCHS, default 8), the matrix, and 500
# attack images (the attacks dominate a ResNet20's evaluation time).
R20_RUN=(--set model.name=resnet20 --set "train.epochs=${EPOCHS:-8}" "${R20_MATRIX[@]}" --set attack.n_examples=500)
