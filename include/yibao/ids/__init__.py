"""Resident identity card numbers (居民身份证号码, GB 11643-1999): normalize, validate, explain, correct."""

from yibao.ids.age import age_at
from yibao.ids.key import from_key, to_key
from yibao.ids.reasons import REASONS
from yibao.ids.ric import InvalidID
from yibao.ids.suggest import suggest_corrections
from yibao.ids.vector import check, describe

__all__ = ["REASONS", "InvalidID", "age_at", "check", "describe", "from_key", "suggest_corrections", "to_key"]
