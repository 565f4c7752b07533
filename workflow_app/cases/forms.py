"""Forms of the case page: comments and attachments."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(message=_l("A comment cannot be empty")),
                                                    Length(max=4000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to attach"))],
                     description=_l("PDF, images, Word, Excel, OFD or text; at most 10 MB each."))
