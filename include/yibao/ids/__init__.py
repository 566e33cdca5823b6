"""Resident identity card numbers (居民身份证号码, GB 11643-1999)."""

from yibao.ids.age import age_at

__all__ = ["age_at"]
