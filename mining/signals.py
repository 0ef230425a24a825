"""What happens in mining that a task follows up, sent by mining's services inside the transaction
that made it; mining/receivers.py enqueues the task once it commits."""

from django.dispatch import Signal

# session_ids: these sessions completed and their members asked to be e-mailed.
reminders_due = Signal()
