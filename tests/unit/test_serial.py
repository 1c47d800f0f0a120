"""Serials: Unix time when it is ahead, otherwise +1, in RFC 1982 arithmetic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zonefleet.dns.serial import next_serial, serial_at_least


def test_new_serial_is_the_current_time() -> None:
    assert next_serial(0, 1_795_000_000.7) == 1_795_000_000


def test_two_writes_in_one_second_still_move_forward() -> None:
    first = next_serial(0, 1_795_000_000)
    assert next_serial(first, 1_795_000_000) == first + 1


def test_clock_going_backwards_does_not_move_the_serial_back() -> None:
    assert next_serial(1_795_000_100, 1_795_000_000) == 1_795_000_101


def test_wraps_past_two_to_the_32_and_skips_zero() -> None:
    assert next_serial(2**32 - 1, 5) == 5
    assert next_serial(2**32 - 1, 2**32 - 1) == 1


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**33))
def test_next_serial_is_always_newer(current: int, now: int) -> None:
    new = next_serial(current, now)
    assert 0 < new < 2**32
    assert serial_at_least(new, current)
    assert new != current


def test_serial_at_least_uses_serial_arithmetic() -> None:
    assert serial_at_least(10, 10)
    assert serial_at_least(11, 10)
    assert not serial_at_least(9, 10)
    assert serial_at_least(3, 2**32 - 3)
