"""Sessions: creating them, invitations and answers, check-in, closing, minutes, conferences
with bridge points, the study cascade and attendance reports.

Every management action is checked against the unit's scope and audited (a refusal too).
Notifications go out through the NotificationService after the transaction has committed.
The service returns data: the notices' text is in bot/render/session_notices.py, the
minutes document in bot/render/minutes.py, the register's file in bot/render/attendance.py.

One class per concern, over a shared base (base.py); :class:`SessionService` is all four:

- scheduling.py: create, invite, edit, cancel, the lists;
- attendance.py: answers, check-in, late reports, corrections, closing;
- minutes.py: minutes, bridge points, the study deadline;
- reports.py: the period report, the study cascade, the register's data.
"""

from __future__ import annotations

from bot.services.sessions.attendance import Attendance, AttendOutcome
from bot.services.sessions.base import (
    SESSION_MANAGERS,
    BridgeRow,
    ScopeDenied,
    SessionOver,
    SessionView,
)
from bot.services.sessions.minutes import MinutesData, MinutesKeeping
from bot.services.sessions.reports import (
    AttendanceEntry,
    AttendanceExport,
    MemberRate,
    PeriodReport,
    Reporting,
    StudyRow,
    UnitReport,
)
from bot.services.sessions.scheduling import Draft, Scheduling
from storage.sessions import BridgeReport, Invitee, Minutes, Session


class SessionService(Scheduling, Attendance, MinutesKeeping, Reporting):
    """The session service the handlers and the CLI use (``services.sessions``)."""


__all__ = [
    "SESSION_MANAGERS",
    "AttendOutcome",
    "AttendanceEntry",
    "AttendanceExport",
    "BridgeReport",
    "BridgeRow",
    "Draft",
    "Invitee",
    "MemberRate",
    "Minutes",
    "MinutesData",
    "PeriodReport",
    "ScopeDenied",
    "Session",
    "SessionOver",
    "SessionService",
    "SessionView",
    "StudyRow",
    "UnitReport",
]
