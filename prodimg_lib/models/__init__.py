"""Model builders returning ``keras.Model``s (one module per model family)."""

from .classifier import as_labels, as_model_images, build_classifier, feature_extractor, train_classifier
from .dcgan import build_conditional_discriminator, build_conditional_generator, build_discriminator, build_generator, check_compatible
from .training import train_image_to_image
from .sr import build_edsr, build_espcn
from .restore import build_dncnn, build_inpainting_unet
from .tone import build_curve_estimator, curve_parameters
