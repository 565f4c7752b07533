"""Installment agreements (缓缴社保费分期补缴协议): schedules, agreement text, signatures, payments."""
