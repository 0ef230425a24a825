"""What happens in custody that a task follows up, sent by the wallet's services.

Sent inside the transaction that made the change; wallet/receivers.py enqueues the task once it
commits, so that services never import tasks.
"""

from django.dispatch import Signal

# deposit_ids: these deposits were credited (their members are e-mailed).
deposits_credited = Signal()
# withdrawal_id, status: a withdrawal was requested or changed state (its member is e-mailed).
withdrawal_status_changed = Signal()
# withdrawal_id: a withdrawal has all its approvals and waits for the signer.
withdrawal_approved = Signal()
# The watchdog found approved withdrawals that nobody is sending.
withdrawals_waiting = Signal()
