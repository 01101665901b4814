from .verdict import Masked, StreamUnmasker, Verdict, Violation, check, flips, mask, word_diff

__all__ = ["Masked", "StreamUnmasker", "Verdict", "Violation", "check", "flips", "mask", "word_diff"]
