"""``Anchang``: a connection to the broker with the four typed service clients over it."""
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_client.appraisal import AppraisalClient
from anchang_client.client_vault import ClientVaultClient
from anchang_client.staff import Session, StaffClient
from anchang_client.ticket import TicketClient

#: the nameko context key of the caller's access token
AUTHORIZATION = "authorization"


class Anchang:
    """``with Anchang(amqp_uri, token=None, timeout=30) as anchang: anchang.staff.get_staff(...)``.

    ``login`` keeps the token it gets for the calls that follow (as does ``staff.change_password``
    called through ``change_password`` here). ``timeout`` bounds every call, in seconds."""

    def __init__(self, amqp_uri, token=None, timeout=30):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.token = token
        self._cluster = None

    def __enter__(self):
        self._connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _connect(self):
        context = {AUTHORIZATION: f"Bearer {self.token}"} if self.token else None
        self._cluster = ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, context_data=context, timeout=self.timeout)
        proxy = self._cluster.start()
        self.staff = StaffClient(proxy.staff)
        self.client_vault = ClientVaultClient(proxy.client_vault)
        self.ticket = TicketClient(proxy.ticket)
        self.appraisal = AppraisalClient(proxy.appraisal)

    def use_token(self, token):
        """Carry ``token`` on the calls from now on."""
        self.close()
        self.token = token
        self._connect()

    def login(self, username, password) -> Session:
        session = self.staff.login(username, password)
        self.use_token(session["token"])
        return session

    def change_password(self, old_password, new_password) -> Session:
        session = self.staff.change_password(old_password, new_password)
        self.use_token(session["token"])
        return session

    def close(self):
        if self._cluster is not None:
            self._cluster.stop()
            self._cluster = None
