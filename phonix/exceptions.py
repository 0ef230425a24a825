"""The one hierarchy of domain errors. Views turn them into form errors and messages."""


class PhonixError(Exception):
    """A refusal the member or operator can act on; never a bug."""


class InvalidAmount(PhonixError):
    pass


class InsufficientFunds(PhonixError):
    pass


class UnbalancedPosting(PhonixError):
    pass


class IdempotencyConflict(PhonixError):
    """The same idempotency key was posted again with different content."""


class CapReached(PhonixError):
    pass


class NotFound(PhonixError):
    pass


class PlanChanged(PhonixError):
    """The compensation plan changed between what the member saw and what they confirmed."""


class BonusUnavailable(PhonixError):
    """The registration bonus was asked for but is already spent (or was never granted)."""


class WithdrawalRefused(PhonixError):
    """A withdrawal request or staff decision that the rules do not allow."""


class FuturePeriod(PhonixError):
    """A payout run was asked for a day or week that has not begun yet."""


class NotPermitted(PhonixError):
    """A staff action by someone whose role does not carry the permission it needs."""


class AdjustmentRefused(PhonixError):
    """A balance adjustment the rules do not allow (an account that only moves with its workflow)."""


class RateLimited(PhonixError):
    """The same action was asked for too often; the member can try again shortly."""


class DistributionRefused(PhonixError):
    """A staff distribution whose terms or recipients the rules do not allow."""
