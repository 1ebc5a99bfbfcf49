"""dramatiq's Redis broker for larger deployments, and the hold-until-commit that keeps
`enqueue` transactional with a broker that cannot join the caller's transaction.

A message enqueued in a session is held on it: sent when the session's transaction
commits, dropped when it rolls back. A savepoint (`begin_nested`) that rolls back drops
only the messages enqueued inside it (and inside savepoints nested in it); one that is
released hands its messages on to the enclosing transaction, which decides their fate.
Before the outermost commit Redis is pinged, so an unreachable Redis fails the commit
(nothing is written) instead of losing the jobs of committed records. Redis can still
fail in the moment between that ping and the send that follows the commit: such a job
is logged as lost (`job_lost_after_commit`, with its id, actor and arguments), because
the records are already committed and the session cannot be rolled back any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
import structlog
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from compound.platform.errors import ServiceUnavailable

_HELD = "compound.queue.held_messages"
_LISTENING = "compound.queue.holding_listeners"

logger = structlog.get_logger(__name__)


def redis_broker(url: str) -> RedisBroker:
    """dramatiq's Redis broker on `url`, with dramatiq's default middleware (Retries with
    each actor's backoff, time limits), as the Postgres broker has."""
    broker: RedisBroker = RedisBroker(url=url)  # type: ignore[no-untyped-call]
    return broker


@dataclass(frozen=True)
class HeldMessage:
    """A message waiting for the transaction (or savepoint) it was enqueued in."""

    transaction: SessionTransaction
    broker: dramatiq.Broker
    message: Message[Any]
    delay_ms: int | None


def hold_until_commit(
    session: Session, broker: dramatiq.Broker, message: Message[Any], *, delay_ms: int | None
) -> None:
    """Send `message` through `broker` once `session`'s transaction commits; never if it
    (or the savepoint it was enqueued in) rolls back."""
    if not session.info.get(_LISTENING):
        event.listen(session, "before_commit", _check_brokers_reachable)
        event.listen(session, "after_commit", _send_held)
        event.listen(session, "after_soft_rollback", _drop_rolled_back)
        event.listen(session, "after_transaction_end", _forget_at_end)
        session.info[_LISTENING] = True
    # The innermost savepoint owns the message, so rolling it back drops just its own.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    held: list[HeldMessage] = session.info.setdefault(_HELD, [])
    held.append(HeldMessage(transaction, broker, message, delay_ms))


def _held(session: Session) -> list[HeldMessage]:
    held: list[HeldMessage] = session.info.get(_HELD, [])
    return held


def _check_brokers_reachable(session: Session) -> None:
    # before_commit also fires when a savepoint is released; only the real commit matters.
    if session.in_nested_transaction():
        return
    brokers = {id(held.broker): held.broker for held in _held(session)}
    for broker in brokers.values():
        if isinstance(broker, RedisBroker):
            try:
                broker.client.ping()
            except redis.RedisError as error:
                # Raised before the commit, so the transaction stays open and is rolled
                # back by its owner: no record is committed without its job.
                raise ServiceUnavailable(
                    "the job broker (Redis, COMPOUND_BROKER_URL) is unreachable;"
                    " nothing was saved, try again"
                ) from error


def _send_held(session: Session) -> None:
    if session.in_nested_transaction():  # a released savepoint: its parent decides
        return
    held = _held(session)
    session.info[_HELD] = []
    for item in held:
        try:
            item.broker.enqueue(item.message, delay=item.delay_ms)
        except Exception:
            # Raising here would leave the session stuck in its committed state, and the
            # records are committed already; the log line is what lets someone rerun it.
            logger.exception(
                "job_lost_after_commit",
                job_id=item.message.message_id,
                actor=item.message.actor_name,
                kwargs=item.message.kwargs,
            )


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    held = _held(session)
    if held:
        session.info[_HELD] = [
            item for item in held if not _inside(item.transaction, previous_transaction)
        ]


def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended: after a commit everything was sent; after a
    # rollback or a close without commit, nothing held may outlive it.
    if transaction.parent is None:
        session.info.pop(_HELD, None)


def _inside(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
