"""Synthetic counties: people, department drops in their real layouts, injected defects, ground truth.

Typical use: ``generate("wenxi-2024", 50_000, seed=1, out=Path("inbox"))``, or ``yibao synth`` on the
command line; ``DefectRates().scaled(0)`` gives clean drops.
"""

from yibao.synth.defects import DefectRates
from yibao.synth.generator import SynthSummary, existing_drops, generate

__all__ = ["DefectRates", "SynthSummary", "existing_drops", "generate"]
