"""gunicorn's error log without client addresses.

gunicorn writes the peer's address into some of its own warnings ("Invalid request from
ip=203.0.113.9: …"); Tremor logs no IP address anywhere, so every record of its error log has
each address replaced by "[address]" before it is written.
"""

import ipaddress
import logging
import re

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

# Runs of characters an IPv4 or IPv6 address is made of; each is checked before it is replaced.
_CANDIDATE = re.compile(r"[0-9A-Fa-f:.]*[.:][0-9A-Fa-f:.]*")


def without_addresses(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        core = token.rstrip(":.")  # "ip=::1: …" ends its address with the message's colon
        # An IPv4 address may carry its port ("203.0.113.9:51234").
        tries = [core, core.rsplit(":", 1)[0]] if "." in core else [core]
        for candidate in tries:
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                continue
            return token.replace(candidate, "[address]", 1)
        return token

    return _CANDIDATE.sub(replace, text)


class WithoutAddresses(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = without_addresses(record.getMessage())
        record.args = ()
        return True


class AddressFreeLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(WithoutAddresses())
