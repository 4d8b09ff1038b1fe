"""What a broken broker connection looks like, and settling a message on one.

A connection can break between the moment a message is taken and the moment it is acknowledged (a
broker restart, a network cut). nameko then lets the error end the consumer's thread, and a
container whose managed thread dies is killed: the process stays up but serves nothing again.
Everything here that acknowledges or requeues does it through ``settle``.
"""
import logging

import amqp.exceptions
import kombu.exceptions

log = logging.getLogger(__name__)

#: what kombu and amqp raise when the broker cannot be reached or the connection to it broke
BROKER_ERRORS = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
                 amqp.exceptions.RecoverableConnectionError, ConnectionError)


def settle(action, message):
    """``action(message)`` (ack or requeue). When the connection it came on is gone, the broker has
    taken the message back already and gives it out again: nothing to do, and not an error that may
    end the consumer's thread."""
    try:
        action(message)
    except BROKER_ERRORS as error:
        log.warning("message left to the broker, its connection is gone: %s", type(error).__name__)
