"""Personal data masked in every log line, traceback and error, whoever wrote the text.

Our own messages mask IDs and names where they are built (:mod:`yibao.masking`). What escapes is other
code's text: a database error quotes the failing row (PostgreSQL ``DETAIL: Failing row contains (…, 张三丰,
…)``, ``Key (id_number)=(…)``) and SQLAlchemy appends the statement's parameters; pandas and Python quote
a cell in a ``KeyError`` or ``ValueError``. Hence, in one place each:

- engines hide statement parameters (``hide_parameters=True`` in :func:`yibao.storage.engine`);
- every log record is masked when it is made, by a record factory installed when ``yibao`` is imported
  (the CLI, Airflow task processes and tests alike, whatever handlers they configure): runs of 15 to 18
  ID characters anywhere, and an exception's text and traceback as :func:`describe` renders them;
- a stage's unexpected exception leaves it as :class:`MaskedError` (:func:`yibao.run_lock.locked_stage`,
  so Airflow's own failure log sees only masked text) and the CLI prints one masked error (``yibao.cli``).

Names cannot be told from other Chinese text in general. In another library's exception text every
stand-alone run of two to four Han characters (or a name with ``·``) is taken for a name and masked;
``yibao`` exceptions carry Chinese sentences we wrote, already masked, so only their IDs are masked again.
Likewise a log call's own text and plain arguments (民政局 looks like a name too): code that logs a name
masks it itself (:func:`yibao.masking.mask_name`); an exception passed as an argument is masked here.

>>> redact_ids("row 140823198001011234, old 140823800101123, run 20231225T120000")
'row 140823********1234, old 140823*****1123, run 20231225T120000'
>>> foreign_text("Failing row contains (7, 140823198001011234, 张三丰, 桐城镇, 资助金额与各资金来源合计不一致)")
'Failing row contains (7, 140823********1234, 张*丰, 桐*镇, 资助金额与各资金来源合计不一致)'
"""

from __future__ import annotations

import logging
import re
import traceback

from yibao.masking import mask_id, mask_name

#: A run of 15 or more digits (the last may be X): an ID, old (15) or new (18), or one glued to more digits.
_ID = re.compile(r"(?<![0-9])[0-9]{14,}[0-9Xx](?![0-9])")
_HAN = "\u3400-\u9fff\U00020000-\U0002ffff"
#: A stand-alone run of 2–4 Han characters, or a run joined by a middle dot (维吾尔族 names): name-like.
_NAME = re.compile(rf"(?<![{_HAN}·•])(?:[{_HAN}]{{2,4}}|[{_HAN}]+[·•][{_HAN}·•]+)(?![{_HAN}·•])")
MAX_MESSAGE = 2000


class MaskedError(RuntimeError):
    """An unexpected failure whose text was masked; the original exception is not kept (it may hold
    personal data in its arguments)."""


def redact_ids(text: str) -> str:
    return _ID.sub(lambda m: mask_id(m.group()), text)


def foreign_text(text: str) -> str:
    """Another library's text: IDs and name-like tokens masked."""
    return _NAME.sub(lambda m: mask_name(m.group()), redact_ids(text))


def _ours(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] == "yibao"


def safe_message(exc: BaseException) -> str:
    """An exception's text, masked for where it comes from (see the module docstring)."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the failure itself
        text = ""
    text = text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"
    return redact_ids(text) if _ours(exc) else foreign_text(text)


def describe(exc: BaseException) -> str:
    """A masked traceback: the frames (file, line, code: no values) and each chained exception's masked
    text, oldest first, as Python prints it."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts: list[str] = []
    for i, e in enumerate(reversed(chain)):
        if i:
            parts.append("\nThe above exception led to the following:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(e.__traceback__)))
        parts.append(f"{type(e).__module__}.{type(e).__qualname__}: {safe_message(e)}")
    return redact_ids("".join(parts))


def masked(exc: Exception) -> Exception:
    """What a stage raises instead of ``exc``: our own exceptions as they are (their IDs masked again and
    what led to them replaced by its masked account), anything else as a :class:`MaskedError` naming the
    type, with the masked traceback as its text."""
    if _ours(exc):
        exc.args = tuple(redact_ids(a) if isinstance(a, str) else a for a in exc.args)
        chained = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if chained is not None:  # what led to it, masked
            exc.__cause__, exc.__suppress_context__ = MaskedError(describe(chained)), True
        return exc
    return MaskedError(f"{type(exc).__name__}: {safe_message(exc)}\n{describe(exc)}")


def mask_record(record: logging.LogRecord) -> None:
    """Replace a record's message, arguments and exception by one masked text (no handler can then
    format the original values, whatever it does with ``args`` or ``exc_info``)."""
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(safe_message(a) if isinstance(a, BaseException) else a for a in args)
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed call still logs, masked
        message = f"{record.msg} {args!r}"
    if record.exc_info and record.exc_info[1] is not None:
        message = f"{message}\n{describe(record.exc_info[1])}"
    record.msg, record.args, record.exc_info, record.exc_text = redact_ids(message), (), None, None
    if record.stack_info:
        record.stack_info = redact_ids(record.stack_info)


def install() -> None:
    """Mask every log record of this process from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "yibao_masks", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        mask_record(record)
        return record

    factory.yibao_masks = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
