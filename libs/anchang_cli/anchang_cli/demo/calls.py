"""The demo's calls: many in flight at once, each stage with its progress bar."""
from collections import deque

from anchang_cli.rpc import Door

#: calls in flight at once: enough to keep every service's workers busy (10 each), few enough that
#: ``staff`` hears of each assignment before the next ticket is assigned by load
WINDOW = 12


class Calls:
    """The doors the demo opened (closed together at the end) and a progress bar per stage."""

    def __init__(self, amqp_uri, progress):
        self.amqp_uri = amqp_uri
        self.progress = progress
        self._doors = []
        self.anonymous = self.door(None)

    def door(self, token):
        door = Door(self.amqp_uri, token).__enter__()
        self._doors.append(door)
        return door

    def close(self):
        for door in self._doors:
            door.close()
        self._doors.clear()

    def stage(self, description, total):
        return Stage(self.progress, description, total)


class Stage:
    def __init__(self, progress, description, total):
        self.progress = progress
        self.task = progress.add_task(description, total=max(total, 1))

    def run(self, sends, window=WINDOW):
        """Each of ``sends`` (functions returning a ``Pending``) called with at most ``window`` replies
        outstanding; the results in order. The bar moves once per reply."""
        results = [None] * len(sends)
        in_flight = deque()
        for index, send in enumerate(sends):
            in_flight.append((index, send()))
            if len(in_flight) >= window:
                self._collect(in_flight, results)
        while in_flight:
            self._collect(in_flight, results)
        return results

    def one(self, send):
        return self.run([send])[0]

    def _collect(self, in_flight, results):
        index, pending = in_flight.popleft()
        results[index] = pending.result()
        self.progress.advance(self.task)

    def _task(self):
        return next(task for task in self.progress.tasks if task.id == self.task)

    def grow(self, more):
        """Some calls only become known on the way (assignments to fix, reopened tickets)."""
        self.progress.update(self.task, total=self._task().total + more)

    def done(self):
        """Complete, whatever the estimate of calls was."""
        completed = self._task().completed
        self.progress.update(self.task, total=max(completed, 1), completed=max(completed, 1))
