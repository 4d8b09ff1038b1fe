"""A broker connection that breaks under a service ends nothing for good. Found by the broker
restart test (tests/fault/test_broker_restart.py): ``ticket`` took the reply to one of its own calls,
the broker went down before the acknowledgement, nameko's reply listener let the socket error end
the consumer's thread, and the container was killed; the process stayed up and answered nothing
again. These tests make that moment happen on purpose, on a real broker."""
import socket
import uuid

import pytest
from kombu import Connection, Exchange, Producer, Queue
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener as NamekoReplyListener

from anchang_common.calls import ReplyListener

BODY = {"result": "answer", "error": None}


@pytest.fixture
def reply_on_a_broken_connection(rabbit_config):
    """A reply taken from a real queue (not yet acknowledged) on a connection whose socket then breaks."""
    uri = rabbit_config["AMQP_URI"]
    name = f"reply-{uuid.uuid4().hex}"
    with Connection(uri) as publisher:
        queue = Queue(name, Exchange(name, "direct", auto_delete=True), routing_key=name, auto_delete=True)
        Producer(publisher.channel()).publish(BODY, exchange=queue.exchange, routing_key=name, declare=[queue],
                                              serializer="json", correlation_id="call-1")
    connection = Connection(uri)
    message = queue(connection.channel()).get(no_ack=False)
    assert message is not None
    connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)  # the broker is gone, the client not told yet
    yield message
    connection.collect()


def listening(listener_class):
    listener = listener_class()
    listener.queue_consumer = QueueConsumer()  # what the listener acknowledges through (nameko's own)
    return listener


def test_the_reply_still_reaches_its_caller_and_nothing_is_raised(reply_on_a_broken_connection):
    listener = listening(ReplyListener)
    waiting = listener.get_reply_event("call-1")
    listener.handle_message(BODY, reply_on_a_broken_connection)  # raising here would end the consumer
    assert waiting.wait() == BODY


def test_nameko_s_own_listener_raises_there(reply_on_a_broken_connection):
    """The control: without ``calls.ReplyListener`` the same moment is an error in the consumer's thread."""
    listener = listening(NamekoReplyListener)
    listener.get_reply_event("call-1")
    with pytest.raises(ConnectionError):
        listener.handle_message(BODY, reply_on_a_broken_connection)
