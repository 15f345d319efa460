"""The seat rules: who may apply, who gets a seat, who waits, who is promoted.

Every decision runs inside `locked_transaction(TrainingSession, id)`, so concurrent requests for one session
are taken one at a time, and calls `race_window()` between reading the counts and writing the outcome.

Seats: each municipality has its quota (枠). Seats of the capacity not given to any municipality form a
shared pool, open to anyone in order of application. After the session's release date every unused seat
is open to anyone waiting, from any municipality, in order of application.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, literal, select, tuple_, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..courses.models import Course, CourseRankLimit
from ..database import AwareDateTime, locked_transaction, race_window, unless_busy, utcnow
from ..extensions import db
from ..i18n.dates import format_date, to_tokyo
from ..i18n.locale import current_locale
from ..notifications.services import notify
from ..people.models import Municipality, Person, Rank
from ..people.services import coordinators_of, secretariat_members
from ..sessions.models import EnrollmentMode, SessionQuota, TrainingSession
from .labels import PROMOTED
from .models import ACTIVE, Attendance, Enrollment, EnrollmentStatus


class EnrollmentRefused(Exception):
    """The rule that refused, in words for the person who asked."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class SessionMissing(EnrollmentRefused):
    """There is no session with that id."""


# Reading ---------------------------------------------------------------------------------------


def eligibility_problems(person: Person, session: TrainingSession, now: datetime | None = None) -> list[str]:
    """Why this person may not apply now, in plain words; empty when they may."""
    limit = rank_limit(session.id, person.municipality_id)
    return [p for p in (window_problem(session, now), rank_problem(person, limit)) if p]


def window_problem(session: TrainingSession, now: datetime | None = None) -> str | None:
    """Why nobody may apply to the session now (cancelled, not yet open, closed); None when they may."""
    if session.is_cancelled:
        return _("この開催回は中止になりました。")
    window = session.window(now or utcnow())
    if window == "before":
        return _("申込受付はまだ始まっていません。")
    if window == "closed":
        return _("申込受付は終了しました。")
    return None


# The statements of the rush when applications open are built once, with placeholders: building a select
# with joins in SQLAlchemy costs more than SQLite takes to run it (bench/rush.py).
def _joined_to_rank_limit(query):
    """`query` over the session :session_id, joined to the highest rank that may attend it from the
    municipality :municipality_id (the municipality's own limit for the course, else the course's)."""
    return (
        query.select_from(TrainingSession)
        .join(Course, Course.id == TrainingSession.course_id)
        .outerjoin(
            CourseRankLimit,
            (CourseRankLimit.course_id == Course.id)
            & (CourseRankLimit.municipality_id == bindparam("municipality_id")),
        )
        .join(Rank, Rank.id == func.coalesce(CourseRankLimit.max_rank_id, Course.max_rank_id))
        .where(TrainingSession.id == bindparam("session_id"))
    )


_RANK_LIMIT = _joined_to_rank_limit(select(Rank))
# The rank limit and the person's earlier application, if any, in one round trip.
_STANDING = _joined_to_rank_limit(select(Rank, Enrollment)).outerjoin(
    Enrollment, (Enrollment.session_id == TrainingSession.id) & (Enrollment.person_id == bindparam("person_id"))
)
# Everything the seat decision counts, in one round trip: each municipality's quota (status "quota"), and how
# many of its people are in each status with the last place given in its waiting list.
_SEATS = union_all(
    select(SessionQuota.municipality_id, literal("quota"), SessionQuota.seats, literal(0)).where(
        SessionQuota.session_id == bindparam("session_id")
    ),
    select(Enrollment.municipality_id, Enrollment.status, func.count(), func.max(Enrollment.queue_rank))
    .where(Enrollment.session_id == bindparam("session_id"))
    .group_by(Enrollment.municipality_id, Enrollment.status),
)


def rank_limit(session_id: int, municipality_id: int) -> Rank | None:
    """The highest rank that may attend the session from a municipality: the municipality's own limit for the
    course (「各市町の実情に応じて変更可」), else the course's. None when there is no such session."""
    return db.session.scalar(_RANK_LIMIT, {"session_id": session_id, "municipality_id": municipality_id})


def rank_problem(person: Person, limit: Rank) -> str | None:
    """Why the person's rank keeps them from a course open up to `limit`; None when it does not."""
    if person.rank is None:
        return _("職層が登録されていません。プロフィールで職層を設定してください。")
    if not person.rank.is_at_or_below(limit):
        return _("この研修の対象は%(rank)s以下の職員です。", rank=limit.name)
    return None


def enrollment_of(person: Person, session_id: int) -> Enrollment | None:
    """The person's application for the session, whatever its status; None if they never applied."""
    return db.session.scalar(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.person_id == person.id)
    )


def standing(person: Person, session_id: int) -> tuple[Rank, Enrollment | None]:
    """The highest rank that may attend the session from the person's municipality, and the person's
    application for it (None if they never applied). SessionMissing when there is no such session."""
    row = db.session.execute(
        _STANDING, {"session_id": session_id, "municipality_id": person.municipality_id, "person_id": person.id}
    ).one_or_none()
    if row is None:
        raise SessionMissing(_("開催回が見つかりません。"))
    return row[0], row[1]


@dataclass
class SeatState:
    """Counts of one session, read inside the lock."""

    capacity: int
    quotas: dict[int, int]
    confirmed: Counter
    released: bool
    #: people waiting, per municipality
    waiting: Counter = field(default_factory=Counter)
    #: the highest queue_rank given so far, per municipality (a new applicant goes after it)
    last_rank: dict[int, int] = field(default_factory=dict)

    @property
    def total_confirmed(self) -> int:
        return sum(self.confirmed.values())

    @property
    def pool(self) -> int:
        """Seats not reserved for any municipality."""
        return max(self.capacity - sum(self.quotas.values()), 0)

    @property
    def pool_used(self) -> int:
        return sum(max(n - self.quotas.get(m, 0), 0) for m, n in self.confirmed.items())

    def seat_for(self, municipality_id: int) -> bool:
        """Is there a seat a person of this municipality may take now?"""
        if self.total_confirmed >= self.capacity:
            return False
        if self.confirmed[municipality_id] < self.quotas.get(municipality_id, 0):
            return True
        if self.released:
            return True
        return self.pool_used < self.pool

    def own_quota_free(self, municipality_id: int) -> bool:
        return self.confirmed[municipality_id] < self.quotas.get(municipality_id, 0)


def seat_state(session: TrainingSession, now: datetime | None = None) -> SeatState:
    """Capacity and quotas, and who is confirmed and waiting per municipality, as stored now."""
    state = SeatState(session.capacity, {}, Counter(), (now or utcnow()) >= session.release_at)
    for municipality_id, status, count, last_rank in db.session.execute(_SEATS, {"session_id": session.id}):
        if status == "quota":
            state.quotas[municipality_id] = count
            continue
        if status == EnrollmentStatus.confirmed:
            state.confirmed[municipality_id] = count
        elif status == EnrollmentStatus.waiting:
            state.waiting[municipality_id] = count
        state.last_rank[municipality_id] = max(state.last_rank.get(municipality_id, 0), last_rank or 0)
    return state


def quota_overflow(state: SeatState) -> int | None:
    """A municipality whose confirmed people would no longer fit in its quota and the shared pool (before the
    release date; after it every seat is open to all); None when everyone fits."""
    if state.released or state.pool_used <= state.pool:
        return None
    return next(m for m, n in sorted(state.confirmed.items()) if n > state.quotas.get(m, 0))


def capacity_problem(capacity: int, state: SeatState) -> str | None:
    """Why the session cannot have this capacity (fewer seats than people confirmed); None when it can."""
    if capacity < state.total_confirmed:
        return _("定員を参加確定者数（%(n)d人）より少なくはできません。", n=state.total_confirmed)
    return None


def waiting_line(session_id: int, municipality_id: int | None = None) -> list[Enrollment]:
    """The waiting list in order: per municipality by the coordinator's order, then by application time."""
    query = (
        select(Enrollment)
        .where(Enrollment.session_id == session_id, Enrollment.status == EnrollmentStatus.waiting)
        .order_by(Enrollment.municipality_id, Enrollment.queue_rank, Enrollment.applied_at, Enrollment.id)
    )
    if municipality_id is not None:
        query = query.where(Enrollment.municipality_id == municipality_id)
    return list(db.session.scalars(query))


def waiting_position(enrollment: Enrollment) -> int | None:
    """1 for the first in line of the person's municipality; None when not waiting."""
    if enrollment.status != EnrollmentStatus.waiting:
        return None
    ahead = db.session.scalar(
        select(func.count()).where(
            Enrollment.session_id == enrollment.session_id,
            Enrollment.municipality_id == enrollment.municipality_id,
            Enrollment.status == EnrollmentStatus.waiting,
            tuple_(Enrollment.queue_rank, Enrollment.applied_at, Enrollment.id)
            < tuple_(enrollment.queue_rank, literal(enrollment.applied_at, AwareDateTime()), enrollment.id),
        )
    )
    return ahead + 1


def waiting_positions(enrollments: list[Enrollment]) -> dict[int, int]:
    """Positions for many enrollments with one query per session involved (not per enrollment)."""
    positions: dict[int, int] = {}
    waiting = [e for e in enrollments if e.status == EnrollmentStatus.waiting]
    sessions = {e.session_id for e in waiting}
    if not sessions:
        return positions
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.session_id, Enrollment.municipality_id)
        .where(Enrollment.session_id.in_(sessions), Enrollment.status == EnrollmentStatus.waiting)
        .order_by(
            Enrollment.session_id,
            Enrollment.municipality_id,
            Enrollment.queue_rank,
            Enrollment.applied_at,
            Enrollment.id,
        )
    ).all()
    counter: Counter = Counter()
    for enrollment_id, session_id, municipality_id in rows:
        counter[(session_id, municipality_id)] += 1
        positions[enrollment_id] = counter[(session_id, municipality_id)]
    return positions


# Deciding ---------------------------------------------------------------------------------------


def _set_status(
    enrollment: Enrollment,
    status: EnrollmentStatus,
    actor: Person | None,
    reason: str = "",
    action: str = "enrollment.status_changed",
) -> None:
    before = enrollment.status
    enrollment.status = status
    enrollment.status_changed_at = utcnow()
    enrollment.revision = (enrollment.revision or 0) + 1
    if enrollment.id is None:
        db.session.flush()  # one INSERT with the final status; the audit entry needs the id
    record(
        action,
        enrollment,
        before={"status": before},
        after={"status": status},
        reason=reason,
        actor=actor,
    )


def _tell(enrollment: Enrollment, kind: str, **context) -> None:
    notify(enrollment.person, kind, {"enrollment": enrollment, "session": enrollment.session, **context})


def _seat_or_wait(
    enrollment: Enrollment, state: SeatState, actor: Person | None, action: str = "enrollment.status_changed"
) -> None:
    race_window()
    if state.seat_for(enrollment.municipality_id):
        _set_status(enrollment, EnrollmentStatus.confirmed, actor, action=action)
        state.confirmed[enrollment.municipality_id] += 1
        _tell(enrollment, "enrollment_confirmed")
    else:
        _set_status(enrollment, EnrollmentStatus.waiting, actor, action=action)
        municipality_id = enrollment.municipality_id
        state.waiting[municipality_id] += 1
        last = enrollment.queue_rank > state.last_rank.get(municipality_id, 0)  # a new applicant (see apply)
        position = state.waiting[municipality_id] if last else waiting_position(enrollment)
        _tell(enrollment, "enrollment_waiting", position=position)


def promote(session: TrainingSession, actor: Person | None = None, now: datetime | None = None) -> list[Enrollment]:
    """Give every free seat to the next person waiting who may take it; call inside the session's lock.

    First each municipality's own free quota seats go to the head of its own line; then pool seats (and,
    after the release date, any free seat) go to the heads of the lines in order of application.
    """
    if session.is_cancelled or not session.days or (now or utcnow()) >= session.starts_at:
        return []  # nobody is promoted into a cancelled session or one that has begun
    state = seat_state(session, now)
    promoted: list[Enrollment] = []
    heads: dict[int, list[Enrollment]] = {}
    for enrollment in waiting_line(session.id):
        heads.setdefault(enrollment.municipality_id, []).append(enrollment)
    while True:
        candidates = [line[0] for line in heads.values() if line]
        own = [e for e in candidates if state.own_quota_free(e.municipality_id)]
        shared = sorted(
            (e for e in candidates if state.seat_for(e.municipality_id)), key=lambda e: (e.applied_at, e.id)
        )
        chosen = own[0] if own else (shared[0] if shared else None)
        if chosen is None or state.total_confirmed >= state.capacity:
            break
        race_window()
        heads[chosen.municipality_id].pop(0)
        _set_status(chosen, EnrollmentStatus.confirmed, actor, reason=PROMOTED)
        state.confirmed[chosen.municipality_id] += 1
        _tell(chosen, "enrollment_promoted")
        promoted.append(chosen)
    return promoted


def apply(person: Person, session_id: int, note: str = "", *, nominated_by: Person | None = None) -> Enrollment:
    """An application by the person (or a nomination by their coordinator, which counts as approved).

    Returns the enrollment: confirmed, waiting, or pending approval. Raises EnrollmentRefused with the
    reason otherwise (SessionMissing when there is no such session); nothing is written then.

    This is the request of the rush when applications open, so the locked part reads in two queries (first
    come) and writes the enrollment once, with its final status and place in line; in approval mode it also
    finds who is to decide.
    """
    person = db.session.get(Person, person.id)  # the row itself (not a proxy such as current_user); no query
    # Who may attend does not change with the seats: checked before the lock, so the lock is held briefly.
    # The earlier application is looked up before the lock too: a second application made meanwhile is stopped
    # by the database's unique rule (below), and an earlier one is read again under the lock before it is used.
    limit, enrollment = standing(person, session_id)
    problem = rank_problem(person, limit)
    if problem:
        raise EnrollmentRefused(problem)
    try:
        # The person (loaded with the request) is not what the lock protects: used as read.
        with locked_transaction(TrainingSession, session_id, unchanged=(person,)) as session:
            problem = window_problem(session)
            if problem:
                raise EnrollmentRefused(problem)
            if enrollment is not None and enrollment.status == EnrollmentStatus.declined:
                raise EnrollmentRefused(
                    _("この開催回への申込は見送りになりました。詳しくは所属の研修担当者にお問い合わせください。")
                )
            if enrollment is not None and enrollment.status != EnrollmentStatus.cancelled:
                raise EnrollmentRefused(_("この開催回にはすでに申し込んでいます。"))
            state = seat_state(session)
            if enrollment is None:  # a cancelled application may be made again, at the end of the line
                enrollment = Enrollment(session_id=session.id, person_id=person.id)
                db.session.add(enrollment)
            municipality_id = person.municipality_id
            enrollment.municipality_id = municipality_id
            enrollment.note = note.strip()
            enrollment.applied_at = utcnow()
            # At the end of the municipality's line, even after a coordinator has reordered it.
            enrollment.queue_rank = state.last_rank.get(municipality_id, 0) + 1
            enrollment.late_cancellation, enrollment.attendance = False, None
            enrollment.decision_comment = ""  # a comment on an earlier application is not about this one
            action = "enrollment.applied" if nominated_by is None else "enrollment.nominated"
            actor = nominated_by or person
            if session.enrollment_mode == EnrollmentMode.approval and nominated_by is None:
                _set_status(enrollment, EnrollmentStatus.pending, actor, action=action)
                _tell(enrollment, "enrollment_pending")
                for decider in deciders_for(enrollment):
                    notify(decider, "enrollment_awaiting_approval", {"enrollment": enrollment, "session": session})
            else:
                _seat_or_wait(enrollment, state, actor, action=action)
    except IntegrityError as error:
        # An application was made meanwhile (the same form sent twice, say): the unique rule stopped this one.
        db.session.rollback()
        earlier = enrollment_of(person, session_id)
        if earlier is not None and earlier.status == EnrollmentStatus.cancelled:
            # ...and was cancelled again before this one got the lock: apply once more, onto that row.
            return apply(person, session_id, note, nominated_by=nominated_by)
        raise EnrollmentRefused(_("この開催回にはすでに申し込んでいます。")) from error
    return enrollment


def deciders_for(enrollment: Enrollment) -> list[Person]:
    """Who is asked to decide on a pending application: its municipality's coordinators other than the
    applicant (nobody decides on their own), else the secretariat."""
    coordinators = [p for p in coordinators_of(enrollment.municipality_id) if p.id != enrollment.person_id]
    return coordinators or [p for p in secretariat_members() if p.id != enrollment.person_id]


def _load(enrollment_id: int, locked: TrainingSession | None = None) -> Enrollment:
    """The application, read afresh; given the session a request has locked, only an application of it."""
    enrollment = db.session.get(Enrollment, enrollment_id, populate_existing=True)
    if enrollment is None or (locked is not None and enrollment.session_id != locked.id):
        raise EnrollmentRefused(_("申込が見つかりません。"))
    return enrollment


def decision_problem(session: TrainingSession, now: datetime | None = None) -> str | None:
    """Why pending applications of the session can no longer be decided (cancelled or begun); None if they can."""
    if session.is_cancelled or (session.days and (now or utcnow()) >= session.starts_at):
        return _("中止または開始済みの開催回の申込は処理できません。")
    return None


def decide(enrollment_id: int, session_id: int, actor: Person, approve: bool, comment: str = "") -> Enrollment:
    """The coordinator approves (seat or waiting list) or declines a pending application."""
    with locked_transaction(TrainingSession, session_id) as session:
        enrollment = _load(enrollment_id, session)
        if not actor.coordinates(enrollment.municipality_id):
            raise EnrollmentRefused(_("他の市町の申込は操作できません。"))
        if actor.id == enrollment.person_id:
            raise EnrollmentRefused(_("自分の申込は、ほかの研修担当者か事務局が判断します。"))
        if enrollment.status != EnrollmentStatus.pending:
            raise EnrollmentRefused(_("この申込はすでに処理されています。"))
        problem = decision_problem(session)
        if problem:
            raise EnrollmentRefused(problem)
        enrollment.decision_comment = comment.strip()
        if approve:
            _seat_or_wait(enrollment, seat_state(session), actor)
        else:
            _set_status(enrollment, EnrollmentStatus.declined, actor, reason=comment)
            _tell(enrollment, "enrollment_declined")
    return enrollment


def withdraw_problem(enrollment: Enrollment, actor: Person, now: datetime | None = None) -> str | None:
    """Why `actor` may not withdraw this application now; None when they may. The person may until the
    cancellation deadline, their coordinator or the secretariat until the training begins; nobody once it has
    begun (absence is recorded as attendance) or when the session is cancelled."""
    now = now or utcnow()
    session = enrollment.session
    if not actor.may_act_for(enrollment.person):
        return _("この申込を取り消す権限がありません。")
    if enrollment.status not in ACTIVE:
        return _("この申込はすでに取り消されているか、処理済みです。")
    if session.is_cancelled:
        return _("この開催回は中止されました。申込の取り消しは不要です。")
    if session.days and now >= session.starts_at:
        return _("開始した研修の申込は取り消せません。欠席は出欠の記録で扱います。")
    if enrollment.attendance is not None:
        return _("出欠が記録された申込は取り消せません。")
    if now >= session.cancellation_deadline and not actor.coordinates(enrollment.municipality_id):
        return _("キャンセル期限を過ぎています。取り消しは所属の研修担当者に依頼してください。")
    return None


def cancel(enrollment_id: int, session_id: int, actor: Person, reason: str = "") -> list[Enrollment]:
    """Withdraw an application (see withdraw_problem for who may, until when); after the cancellation
    deadline it is recorded as a late cancellation. A freed seat is passed on: returns who was promoted."""
    with locked_transaction(TrainingSession, session_id) as session:
        enrollment = _load(enrollment_id, session)
        now = utcnow()
        problem = withdraw_problem(enrollment, actor, now)
        if problem:
            raise EnrollmentRefused(problem)
        held_seat = enrollment.status == EnrollmentStatus.confirmed  # and so an entry in their calendar
        enrollment.late_cancellation = held_seat and now >= session.cancellation_deadline
        _set_status(enrollment, EnrollmentStatus.cancelled, actor, reason=reason)
        _tell(
            enrollment,
            "enrollment_cancelled",
            by_other=actor.id != enrollment.person_id,
            reason=reason.strip(),
            held_seat=held_seat,
        )
        return promote(session, actor)


def move_in_line(enrollment_id: int, session_id: int, actor: Person, offset: int, reason: str) -> None:
    """The coordinator moves someone up (-1) or down (+1) their municipality's waiting list, with a reason."""
    if not reason.strip():
        raise EnrollmentRefused(_("並べ替えの理由を入力してください。"), field="reason")
    with locked_transaction(TrainingSession, session_id) as session:
        enrollment = _load(enrollment_id, session)
        if not actor.coordinates(enrollment.municipality_id):
            raise EnrollmentRefused(_("他の市町の申込は操作できません。"))
        line = waiting_line(enrollment.session_id, enrollment.municipality_id)
        if enrollment not in line:
            raise EnrollmentRefused(_("キャンセル待ちの方だけ並べ替えられます。"))
        index = line.index(enrollment)
        target = index + offset
        if not 0 <= target < len(line):
            raise EnrollmentRefused(_("これ以上移動できません。"))
        line.insert(target, line.pop(index))
        for rank, item in enumerate(line):
            item.queue_rank = rank
        enrollment.status_changed_at = utcnow()  # positions changed: calendar feeds must notice
        enrollment.revision += 1
        record(
            "enrollment.reordered",
            enrollment,
            before={"position": index + 1},
            after={"position": target + 1},
            reason=reason.strip(),
            actor=actor,
        )


def give_seats(
    session_id: int,
    actor: Person,
    from_municipality_id: int,
    seats: int,
    to_municipality_id: int | None,
    reason: str = "",
) -> list[Enrollment]:
    """Move unused quota seats of one municipality to another, or to the shared pool (to None). Returns the
    people promoted from the waiting list onto the seats."""
    if seats < 1:
        raise EnrollmentRefused(_("1以上の席数を入力してください。"), field="seats")
    with locked_transaction(TrainingSession, session_id) as session:
        if not actor.coordinates(from_municipality_id):
            raise EnrollmentRefused(_("他の市町の枠は操作できません。"))
        problem = decision_problem(session)
        if problem:
            raise EnrollmentRefused(problem)
        state = seat_state(session)
        unused = state.quotas.get(from_municipality_id, 0) - state.confirmed[from_municipality_id]
        if seats > unused:
            raise EnrollmentRefused(_("譲れるのは未使用の枠（%(n)d席）までです。", n=max(unused, 0)), field="seats")
        quotas = {q.municipality_id: q for q in session.quotas}
        race_window()
        quotas[from_municipality_id].seats -= seats
        if to_municipality_id is not None:
            if to_municipality_id not in quotas:
                quotas[to_municipality_id] = SessionQuota(municipality_id=to_municipality_id, seats=0)
                session.quotas.append(quotas[to_municipality_id])
            quotas[to_municipality_id].seats += seats
        record(
            "session.seats_given",
            session,
            before={"from": from_municipality_id},
            after={"to": to_municipality_id or "pool", "seats": seats},
            reason=reason,
            municipality_id=from_municipality_id,
            actor=actor,
        )
        db.session.flush()
        return promote(session, actor)


def set_capacity_and_quotas(
    session_id: int, actor: Person, capacity: int, quotas: dict[int, int], reason: str = ""
) -> list[Enrollment]:
    """The secretariat changes capacity and quotas: never below what is confirmed, quotas within capacity.
    Returns the people promoted from the waiting list onto new seats."""
    with locked_transaction(TrainingSession, session_id) as session:
        state = seat_state(session)
        if sum(quotas.values()) > capacity:
            raise EnrollmentRefused(
                _(
                    "各市町の枠の合計（%(sum)d人）が定員（%(cap)d人）を超えています。",
                    sum=sum(quotas.values()),
                    cap=capacity,
                ),
                field="capacity",
            )
        problem = capacity_problem(capacity, state)
        if problem:
            raise EnrollmentRefused(problem, field="capacity")
        over = quota_overflow(SeatState(capacity, quotas, state.confirmed, state.released))
        if over is not None:
            municipality = db.session.get(Municipality, over)
            raise EnrollmentRefused(
                _(
                    "%(m)sの参加確定者（%(n)d人）が、この枠と共通枠に収まりません。枠を増やしてください。",
                    m=municipality.display_name(current_locale()),
                    n=state.confirmed[over],
                ),
                field=f"quota_{over}",
            )
        before = {"capacity": session.capacity, "quotas": state.quotas}
        session.capacity = capacity
        existing = {q.municipality_id: q for q in session.quotas}
        for municipality_id, seats in quotas.items():
            if municipality_id in existing:
                existing[municipality_id].seats = seats
            else:
                session.quotas.append(SessionQuota(municipality_id=municipality_id, seats=seats))
        record(
            "session.seats_changed",
            session,
            before=before,
            after={"capacity": capacity, "quotas": quotas},
            reason=reason,
            actor=actor,
        )
        db.session.flush()
        return promote(session, actor)


def attendance_problem(session: TrainingSession, now: datetime | None = None) -> str | None:
    """Why attendance cannot be recorded for this session now; None from the morning of its first day (the
    reception desk opens before the start)."""
    if session.is_cancelled:
        return _("中止された開催回の出欠は記録できません。")
    if to_tokyo(now or utcnow()).date() < to_tokyo(session.starts_at).date():
        return _("出欠は開催日（%(day)s）から記録できます。", day=format_date(session.starts_at, current_locale()))
    return None


def mark_attendance(enrollment_id: int, actor: Person, attended: bool, now: datetime | None = None) -> Enrollment:
    """Record attendance from the morning of the day (reception opens before the start); attended people
    count as having completed the course."""
    enrollment = _load(enrollment_id)
    if not actor.coordinates(enrollment.municipality_id):
        raise EnrollmentRefused(_("他の市町の参加者は操作できません。"))
    if enrollment.status != EnrollmentStatus.confirmed:
        raise EnrollmentRefused(_("参加確定者だけ出欠を記録できます。"))

    problem = attendance_problem(enrollment.session, now)
    if problem:
        raise EnrollmentRefused(problem)
    new = Attendance.attended if attended else Attendance.absent
    if enrollment.attendance != new:
        record(
            "enrollment.attendance",
            enrollment,
            before={"attendance": enrollment.attendance},
            after={"attendance": new},
            actor=actor,
        )
        enrollment.attendance = new
    return enrollment


def release_due(now: datetime | None = None) -> int:
    """The periodic job: apply release dates (and any promotion still owed). Returns people promoted."""
    now = now or utcnow()
    session_ids = db.session.scalars(
        select(TrainingSession.id)
        .join(Enrollment, Enrollment.session_id == TrainingSession.id)
        .where(TrainingSession.cancelled_at.is_(None), Enrollment.status == EnrollmentStatus.waiting)
        .distinct()
    ).all()
    promoted = 0
    for session_id in session_ids:
        with unless_busy(f"session {session_id}"), locked_transaction(TrainingSession, session_id) as session:
            promoted += len(promote(session, now=now))
    return promoted


def my_enrollments(person: Person) -> list[Enrollment]:
    """A person's applications, newest session first, with sessions and days loaded."""

    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.person_id == person.id)
            .options(
                joinedload(Enrollment.session).selectinload(TrainingSession.days),
                joinedload(Enrollment.session).joinedload(TrainingSession.course),
            )
            .order_by(Enrollment.applied_at.desc())
        ).unique()
    )


def send_session_reminders(now: datetime | None = None) -> int:
    """The periodic job: confirmed participants get one reminder in the 24 hours before their session."""
    from datetime import timedelta

    from ..sessions.models import SessionDay

    now = now or utcnow()
    first_days = (
        select(SessionDay.session_id, func.min(SessionDay.starts_at).label("starts_at"))
        .group_by(SessionDay.session_id)
        .subquery()
    )
    soon = db.session.scalars(
        select(TrainingSession.id)
        .join(first_days, first_days.c.session_id == TrainingSession.id)
        .where(
            TrainingSession.cancelled_at.is_(None),
            first_days.c.starts_at > now,
            first_days.c.starts_at <= now + timedelta(days=1),
        )
    ).all()
    sent = 0
    for session_id in soon:
        with unless_busy(f"session {session_id}"), locked_transaction(TrainingSession, session_id):
            due = db.session.scalars(
                select(Enrollment)
                .where(
                    Enrollment.session_id == session_id,
                    Enrollment.status == EnrollmentStatus.confirmed,
                    Enrollment.reminder_sent.is_(False),
                )
                .options(joinedload(Enrollment.person), joinedload(Enrollment.session))
            ).all()
            for enrollment in due:
                enrollment.reminder_sent = True
                _tell(enrollment, "session_reminder")
            sent += len(due)
    return sent
