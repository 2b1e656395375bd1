"""A Python probe that fails on command (`mode` in its config), for the errors the host must
report in Python's own words: a plain exception, an API error left uncaught, a type error."""

import wit_world
from wit_world.imports import config, potatoes


def fail_deeper(value):
    raise ValueError(f"bad value {value}")


class WitWorld(wit_world.WitWorld):
    def collect(self):
        mode = config.get("mode")
        if mode == "exception":
            fail_deeper(42)
        elif mode == "api":
            potatoes.get_potato("no-such-potato")
        elif mode == "type":
            len(5)
        return []
