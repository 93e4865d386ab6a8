"""FocusStation training side: LDSE-NET / ResNet50 / BotNet defocus regressors, export to ONNX + model card."""
