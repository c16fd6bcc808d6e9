"""Click parameter types shared by several commands."""

from __future__ import annotations

import re
from datetime import timedelta

import click

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class DurationType(click.ParamType):
    """A duration such as ``90s``, ``30m``, ``6h`` or ``3d``, as a ``timedelta``."""

    name = "duration"

    def convert(self, value, param, ctx) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = _DURATION.match(str(value))
        if match is None:
            self.fail(
                f"invalid duration {value!r}: use a number and a unit s, m, h or d, "
                "e.g. 72h",
                param,
                ctx,
            )
        return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


DURATION = DurationType()


class StageCountType(click.ParamType):
    """``STAGE=N``, e.g. ``FaceDetect=2``, as a ``(stage, count)`` pair."""

    name = "stage=count"

    def convert(self, value, param, ctx) -> tuple[str, int]:
        stage, _, count = str(value).partition("=")
        if not stage or not count.isdigit():
            self.fail(
                f"invalid value {value!r}: use STAGE=N, e.g. FaceDetect=2", param, ctx
            )
        return stage, int(count)


STAGE_COUNT = StageCountType()
