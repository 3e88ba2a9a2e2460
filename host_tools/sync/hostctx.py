"""The device-facing half of the context SyncServer gets (firmware/README.md, "Sync protocol") for tokens that
run on the host: the pty test token and the simulator's tokens. Subclasses provide the storage and clock."""


class HostTokenCtx:
    board = None

    def __init__(self) -> None:
        self.presses = 0  # the wearer's button presses not yet consumed
        self.sync_requests = 0

    def battery_mv(self) -> int:
        return 3900  # a healthy LiPo: host tokens have no battery to read

    def confirm_pressed(self) -> bool:
        if self.presses:
            self.presses -= 1
            return True
        return False

    def request_sync_mode(self) -> None:
        self.sync_requests += 1
