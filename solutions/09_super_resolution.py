"""Solutions to the exercises of notebook 09 (for teachers; tests run each through its checker)."""

import numpy as np


def downscale(images, factor):
    """Exercise 1: area averaging of (N, H, W, C) images by an integer factor."""
    n, h, w, c = images.shape
    return images.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def psnr(reference, estimate):
    """Exercise 2: mean over the images of 10 log10(2² / MSE) (images in [-1, 1], range 2)."""
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    mse = np.mean((reference - estimate) ** 2, axis=(1, 2, 3))
    return float(np.mean(10 * np.log10(4.0 / mse)))


def pixel_shuffle(x, r):
    """Exercise 3: depth-to-space (N, H, W, C r²) -> (N, r H, r W, C) in Keras' channel order."""
    n, h, w, depth = x.shape
    c = depth // (r * r)
    return x.reshape(n, h, w, r, r, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, h * r, w * r, c)


def espcn_parameters():
    """Exercise 4: trainable parameters of build_espcn(3, channels=1, width=32).

    conv1 5x5, 1 -> 32: 25 * 32 + 32 = 832; conv2 3x3, 32 -> 16: 9 * 32 * 16 + 16 = 4,624;
    conv3 3x3, 16 -> C r² = 9: 9 * 16 * 9 + 9 = 1,305; the frozen depth-to-space adds none.
    """
    return (5 * 5 * 1 * 32 + 32) + (3 * 3 * 32 * 16 + 16) + (3 * 3 * 16 * 9 + 9)


def residual_block(x, width):
    """Exercise 6: the EDSR block, Conv(3x3, ReLU) -> Conv(3x3) -> Add with the input (no batch normalisation)."""
    from keras import layers

    y = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(width, 3, padding="same")(y)
    return layers.Add()([x, y])


def check_all():
    """Run each solution through the notebook's checker (used by the tests)."""
    from prodimg_lib.course.exercises import super_resolution as exercises

    return [
        exercises.check_downscale(downscale),
        exercises.check_psnr(psnr),
        exercises.check_pixel_shuffle(pixel_shuffle),
        exercises.check_espcn_parameters(espcn_parameters()),
        exercises.check_residual_block(residual_block),
    ]


if __name__ == "__main__":
    for result in check_all():
        print(result)
