"""The provider's error answers: status, ``message``, ``error_code`` and ``details_url``.

Messages quoted in the reference (section 6) are reproduced word for word; the others are
written in the same style. Handlers raise :class:`ApiError`; the app turns it into the JSON
body the real service sends.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DETAILS_URL", "ApiError", "invalid"]

DETAILS_URL = "https://the-odds-api.com/liveapi/guides/v4/api-error-codes.html"
_GET_KEY = "Get an API key at https://the-odds-api.com"
_PLANS = "See usage plans at https://the-odds-api.com"

_MESSAGES: dict[str, str] = {
    "MISSING_KEY": f"API key is missing. {_GET_KEY}",
    "INVALID_KEY": f"API key is not valid. {_GET_KEY}",
    "OUT_OF_USAGE_CREDITS": f"Usage quota has been reached. {_PLANS}",
    "EXCEEDED_FREQ_LIMIT": (
        "Requests are being sent too frequently. Slow down to at most 30 requests per second"
    ),
    "UNKNOWN_SPORT": "Unknown sport",
    "INVALID_SPORT": "Invalid sport key",
    "EVENT_NOT_FOUND": "Event not found. The event may have expired or the id is invalid",
    "MISSING_REGION": "Missing regions or bookmakers key",
    "MISSING_MARKET": "Missing markets",
    "MISSING_HISTORICAL_TIMESTAMP": "Missing date. Specify a timestamp in ISO 8601 format",
}

# Which HTTP status each code is sent with; everything else is a 422.
_STATUS: dict[str, int] = {
    "MISSING_KEY": 401,
    "INVALID_KEY": 401,
    "DEACTIVATED_KEY": 401,
    "OUT_OF_USAGE_CREDITS": 401,
    "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN": 401,
    "EXCEEDED_FREQ_LIMIT": 429,
    "UNKNOWN_SPORT": 404,
    "EVENT_NOT_FOUND": 404,
}


class ApiError(Exception):
    """An error answer of the simulated API."""

    def __init__(self, error_code: str, message: str | None = None) -> None:
        self.error_code = error_code
        self.status_code = _STATUS.get(error_code, 422)
        self.message = message or _MESSAGES.get(
            error_code, error_code.replace("_", " ").capitalize()
        )
        super().__init__(self.message)

    @property
    def details_url(self) -> str:
        return f"{DETAILS_URL}#{self.error_code.lower().replace('_', '-')}"

    def body(self) -> dict[str, str]:
        return {
            "message": self.message,
            "error_code": self.error_code,
            "details_url": self.details_url,
        }


def invalid(error_code: str, parameter: str, values: str | Iterable[str]) -> ApiError:
    """A 422 naming the rejected value(s): ``Invalid markets: player_points``."""
    shown = values if isinstance(values, str) else ", ".join(values)
    return ApiError(error_code, f"Invalid {parameter}: {shown}")
