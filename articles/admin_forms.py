"""The forms of the editors' desk: an editor's decision on one article, on a row of the
list, or on many at once, with quality messages that say what to enter."""

from django import forms

from .editorial import EDITORIAL_FIELDS
from .models import EDITOR_MAX_QUALITY, Article

QUALITY_MESSAGE = (
    f"Enter a quality score from 0 to {EDITOR_MAX_QUALITY}, or leave it empty for “not scored”."
)


def quality_field(required: bool = False, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        required=required,
        # No min/max validators: a feed's score above the editors' range is kept as sent, so
        # it must not block saving an unrelated change of the same row (see clean_quality).
        widget=forms.NumberInput(
            attrs={"min": 0, "max": EDITOR_MAX_QUALITY, "class": "desk-quality"}
        ),
        help_text=help_text or Article._meta.get_field("quality").help_text,
    )


def check_quality(quality: int | None) -> int | None:
    if quality is not None and not 0 <= quality <= EDITOR_MAX_QUALITY:
        raise forms.ValidationError(QUALITY_MESSAGE, code="quality_range")
    return quality


class EditorialForm(forms.ModelForm):
    """Checks an editor's quality score with a message that says what to enter."""

    quality = quality_field()

    class Meta:
        model = Article
        fields = ["is_published", "quality"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "Changed" must mean changed from what the editor saw, not from the database when
        # the form comes back: a 100-row list saved after another editor's decision (or an
        # import) would otherwise write every such row back to the values on the page.
        for name in EDITORIAL_FIELDS & self.fields.keys():
            self.fields[name].show_hidden_initial = True

    def clean_quality(self):
        quality = self.cleaned_data.get("quality")
        # Only a score the editor typed: a feed's higher one is kept as sent.
        return check_quality(quality) if "quality" in self.changed_data else quality

    def editorial_values(self) -> dict:
        """Only the editorial fields the editor changed: decide() records each as a change."""
        return {name: self.cleaned_data[name] for name in EDITORIAL_FIELDS & set(self.changed_data)}


class ArticleListForm(EditorialForm):
    """A row of the changelist (list_editable)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The list's inputs have no <label>: name the article for screen readers.
        title = self.instance.title
        self.fields["is_published"].widget.attrs["aria-label"] = f"Published: {title}"
        self.fields["quality"].widget.attrs["aria-label"] = f"Quality: {title}"


class ArticleChangeForm(EditorialForm):
    reason = forms.CharField(
        required=False,
        max_length=500,
        help_text="Optional: why you published, held back or re-scored it. "
        "Kept in the article's history.",
    )


class SetQualityForm(forms.Form):
    # Required: an empty score here would clear the scores of every selected article.
    quality = quality_field(
        required=True,
        help_text=f"From 0 to {EDITOR_MAX_QUALITY}, for every selected article; higher ranks "
        "first.",
    )
    reason = forms.CharField(
        required=False, max_length=500, help_text="Optional; kept in each article's history."
    )

    def clean_quality(self):
        return check_quality(self.cleaned_data.get("quality"))
