"""NumPy references of notebooks 01-03, checked against Keras: :mod:`.losses`, :mod:`.optim` and :mod:`.cnn` (convolution, pooling, dense, softmax, forward and backward)."""
