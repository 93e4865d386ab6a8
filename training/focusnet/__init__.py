"""Library code behind `python3 -m training.train|export|parity|bench`."""
