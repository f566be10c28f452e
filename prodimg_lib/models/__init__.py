"""Model builders returning ``keras.Model``s (one module per model family)."""

from .classifier import as_labels, as_model_images, build_classifier, feature_extractor, train_classifier
from .dcgan import build_conditional_discriminator, build_conditional_generator, build_discriminator, build_generator, check_compatible
