"""User-facing errors: one clear Chinese message (English welcome), never a traceback.

Messages must never carry an unmasked ID number or name (see :mod:`yibao.masking`).
"""


class UserError(Exception):
    """Bad input or configuration the operator can fix; the CLI prints it and exits with code 2."""
