"""Forms of the case page: comments and attachments, each internal to the staff or shared with the enterprise."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from workflow_app.cases.models import INTERNAL, SHARED

VISIBILITY_LABELS = {INTERNAL: _l("Internal only"), SHARED: _l("Visible to the enterprise")}


def visibility_field(field_id: str | None = None) -> RadioField:
    """Return the choice of who sees a comment or file: internal unless the handler shares it (also when not sent).

    `field_id` tells the choice's buttons apart from another form's on the same page.
    """
    choices = [SelectChoice(value, label) for value, label in VISIBILITY_LABELS.items()]
    return RadioField(
        _l("Who can see it"),
        choices=choices,
        default=INTERNAL,
        id=field_id,
        description=_l(
            "Internal: only the bureau's staff on the case. Visible to the enterprise: it "
            "can also read it, or download the file, in its portal."
        ),
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"), validators=[DataRequired(message=_l("A comment cannot be empty")), Length(max=4000)]
    )
    visibility = visibility_field("comment-visibility")


class AttachmentForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[FileRequired(message=_l("Choose a file to attach"))],
        description=_l("PDF, images, Word, Excel, OFD or text; at most 10 MB each."),
    )
    visibility = visibility_field("attachment-visibility")
