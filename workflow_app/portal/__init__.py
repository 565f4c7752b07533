"""The enterprise portal: apply, sign, pay, rectify."""
