"""Metric names referenced by PromQL expressions (alert rules, dashboards)."""

from __future__ import annotations

import re

_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
_GRAFANA_VARIABLES = re.compile(r"\$__(rate_interval|interval|range)|\$\{?\w+\}?")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_LABEL_LISTS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_OFFSETS = re.compile(r"\boffset\s+-?\w+")
_NUMBERS = re.compile(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?")
# A whole identifier (possessive: no backtracking into a shorter one) not followed by "(".
_NAMES = re.compile(r"(?<![\w:])[a-zA-Z_:][a-zA-Z0-9_:]*+(?!\s*\()")


def for_promtool(expr: str) -> str:
    """Grafana's variables replaced by values Prometheus accepts."""
    return _GRAFANA_VARIABLES.sub(lambda m: "5m" if m.group(0).startswith("$__") else ".*", expr)


def metric_names(expr: str) -> set[str]:
    text = _STRINGS.sub('""', for_promtool(expr))
    for pattern in (_MATCHERS, _RANGES, _LABEL_LISTS, _OFFSETS, _NUMBERS):
        text = pattern.sub(" ", text)
    return {m.group(0) for m in _NAMES.finditer(text)} - _KEYWORDS
