"""Offline training of the digit classifier. Only train_*.py scripts import TensorFlow."""
