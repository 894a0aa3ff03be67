"""Numbers that must never be dialled, stored normalised to E.164."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from campaigns.models import DoNotCall
from campaigns.validators import NumberError, normalize_number, validate_region


class DoNotCallSerializer(serializers.ModelSerializer):
    number = serializers.CharField(
        max_length=32, help_text="E.164 (+14155550100), or national with `region`"
    )
    region = serializers.CharField(
        max_length=2,
        write_only=True,
        required=False,
        validators=[validate_region],
        help_text="ISO country for a number written without +country, e.g. US",
    )

    class Meta:
        model = DoNotCall
        fields = ["id", "number", "region", "reason", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Normalise the number the way the importer does, then check it is not listed yet."""
        region = attrs.pop("region", None)
        if "number" not in attrs:
            return attrs
        try:
            number = normalize_number(attrs["number"], region)  # type: ignore[arg-type]
        except NumberError as exc:
            raise serializers.ValidationError({"number": [str(exc)]}) from exc
        others = DoNotCall.objects.filter(number=number)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError({"number": ["This number is already listed."]})
        return {**attrs, "number": number}
