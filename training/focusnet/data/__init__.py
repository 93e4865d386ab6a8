"""Export reading, image decoding, augmentation and the patch dataset."""
