"""Wallet endpoints of the JSON API: history, deposit address and deposits, withdrawals."""

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from phonix.api import (
    IDEMPOTENCY_PARAMETER,
    AmountField,
    NewestFirstCursor,
    form_parameters,
    idempotent,
    query_form_valid,
)
from phonix.api_views import ServiceAPIView
from phonix.auth import signed_in_user
from phonix.ratelimit import rate_limit_check

from .custody.deposits import DepositPage, DepositRow, deposit_page
from .custody.withdrawals import withdrawal_history, withdrawal_request
from .forms import HistoryFilterForm
from .ledger.descriptions import history_description
from .ledger.history import Balance, transaction_history
from .models import Transaction, Withdrawal


class BalanceSerializer(serializers.Serializer[Balance]):
    code = serializers.CharField()
    # A declared field, not Field.label: the serializer's metaclass takes it out of the class.
    label = serializers.CharField()  # type: ignore[assignment]
    amount = AmountField()


class TransactionSerializer(serializers.ModelSerializer[Transaction]):
    amount = AmountField(source="signed_amount", allow_negative=True,
                         help_text="Signed: withdrawals and purchases are negative.")
    fee = AmountField()
    net_amount = AmountField()
    description = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = ["id", "type", "status", "amount", "fee", "net_amount", "txn_hash", "wallet_address",
                  "description", "subscription", "created_at", "completed_at"]

    def get_description(self, txn: Transaction) -> str:
        return history_description(txn)


@extend_schema(parameters=form_parameters(HistoryFilterForm, exclude=("page", "format")))
class TransactionsView(ListAPIView[Transaction]):
    """The member's transaction history, newest first (filters as on /wallet/transactions/)."""

    serializer_class = TransactionSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self) -> QuerySet[Transaction]:
        filters = query_form_valid(self.request, HistoryFilterForm).filters()
        return transaction_history(user=signed_in_user(self.request), **filters)


class DepositRowSerializer(serializers.Serializer[DepositRow]):
    id = serializers.IntegerField(source="deposit.id")
    txid = serializers.CharField(source="deposit.txid")
    amount = AmountField(source="deposit.amount")
    status = serializers.CharField(source="deposit.status")
    block_number = serializers.IntegerField(source="deposit.block_number")
    confirmations = serializers.IntegerField(allow_null=True, help_text="Blocks on top, while not credited.")
    created_at = serializers.DateTimeField(source="deposit.created_at")
    credited_at = serializers.DateTimeField(source="deposit.credited_at", allow_null=True)


class DepositSerializer(serializers.Serializer[DepositPage]):
    address = serializers.CharField()
    qr_svg = serializers.CharField(help_text="The address as a QR code, an SVG document.")
    minimum = AmountField()
    confirmation_blocks = serializers.IntegerField(allow_null=True,
                                                   help_text="Null: credited once the block is solidified.")
    rows = DepositRowSerializer(many=True)


class DepositsUnavailable(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "deposits_unavailable"
    default_detail = _("Deposits are not open yet on this server.")


class DepositView(ServiceAPIView):
    """The member's own deposit address (with its QR code) and recent deposits with confirmations."""

    serializer_class = DepositSerializer

    def get(self, request: Request) -> Response:
        if not settings.TRON_XPUB:
            raise DepositsUnavailable()
        return Response(self.get_serializer(deposit_page(user=signed_in_user(request))).data)


class WithdrawalSerializer(serializers.ModelSerializer[Withdrawal]):
    amount = AmountField()
    fee = AmountField()
    net_amount = AmountField()

    class Meta:
        model = Withdrawal
        fields = ["id", "amount", "fee", "net_amount", "address", "status", "txid", "failure_reason",
                  "created_at", "completed_at"]


class WithdrawalRequestSerializer(serializers.Serializer[None]):
    amount = AmountField()
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    otp = serializers.CharField(max_length=16, required=False, allow_blank=True, default="", write_only=True,
                                help_text="The authentication code; required when two-factor is on.")

    def validate_otp(self, value: str) -> str:
        from accounts.selectors import two_factor_enabled

        if not value and two_factor_enabled(user=signed_in_user(self.context["request"])):
            raise serializers.ValidationError(_("Two-factor authentication is on: send the code."))
        return value


class WithdrawalsView(ListAPIView[Withdrawal]):
    """GET: the member's withdrawals, newest first. POST: request one to the saved address, under
    every rule of /wallet/withdraw/ (an `Idempotency-Key` makes a retry open it once)."""

    serializer_class = WithdrawalSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self) -> QuerySet[Withdrawal]:
        return withdrawal_history(user=signed_in_user(self.request))

    @extend_schema(request=WithdrawalRequestSerializer, responses={201: WithdrawalSerializer},
                   parameters=[IDEMPOTENCY_PARAMETER])
    def post(self, request: Request) -> Response:
        rate_limit_check(request._request, group="withdrawal", key="user")
        rate_limit_check(request._request, group="password_check", key="user")
        form = WithdrawalRequestSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data

        def perform(token: str) -> Response:
            withdrawal = withdrawal_request(user=signed_in_user(request), amount=data["amount"],
                                            password=data["password"], otp_token=data["otp"], token=token)
            return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)

        return idempotent(request, scope="withdrawal", body={"amount": data["amount"]}, perform=perform)
