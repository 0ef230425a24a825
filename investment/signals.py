"""What happens in investment that other apps act on, sent by investment's services.

Sent inside the purchase transaction: a receiver's writes commit or roll back with it; a receiver
that enqueues a task does so on commit. ranks and earnings connect in their AppConfig.ready.
"""

from django.dispatch import Signal

# buyer, amount, subscription_id: a subscription was bought (its ledger posting is written).
subscription_purchased = Signal()
