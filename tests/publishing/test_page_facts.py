"""A program's fact list as page.facts_markup writes it: each branch of what a panel shows."""
from pipelines.publishing import page


def _fact(name, known=True, **kw):
    return {"name": name, "label": kw.pop("label", name.title()), "known": known, "text": kw.pop("text", f"{name} text"),
            "sentence": None, "url": None, "checked": None, "confidence": "stated", "conflict": False, "review": None, **kw}


def test_a_sentence_is_quoted_once_and_a_page_cited_once_in_a_row():
    d = {"facts": [_fact("a", sentence="We sponsor J-1 visas.", url="https://p.example/visa", checked="2026-11-02"),
                   _fact("b", sentence="We sponsor J-1 visas.", url="https://p.example/visa"),
                   _fact("c", sentence="Scores above 230.", url="https://p.example/apply"),
                   _fact("d", sentence="Scores above 230.", url="https://p.example/visa", checked="2026-11-03")],
         "roster": None, "roster_url": None}
    assert page.facts_markup(d) == (
        '<dl><dt>A<dd>a text: <q>We sponsor J-1 visas.</q> (<a href="https://p.example/visa">page</a>, checked 2026-11-02)'
        '<dt>B<dd>b text (a sentence quoted above) (same page)'
        '<dt>C<dd>c text: <q>Scores above 230.</q> (<a href="https://p.example/apply">page</a>)'
        # the page before was another one: linked again
        '<dt>D<dd>d text (a sentence quoted above) (<a href="https://p.example/visa">page</a>, checked 2026-11-03)\n\n</dl>')


def test_badges_silent_facts_roster_and_hidden_facts():
    d = {"facts": [_fact("a", confidence="inferred", conflict=True, review="checked by SmartPick on 2026-10-01"),
                   _fact("h1b", known=True, sentence="Hidden sentence."),
                   _fact("b", known=False, conflict=True),
                   _fact("c", known=False, review="confirmed by the program on 2026-09-09"),
                   _fact("j1", known=False),
                   _fact("d", known=False)],
         "roster": "4 of 12 residents listed trained outside the US/Canada", "roster_url": "https://p.example/people"}
    html = page.facts_markup(d, frozenset({"h1b", "j1"}))
    assert html == (
        '<dl><dt>A<dd>a text <span class="badge">read from context, treated as not stated</span>'
        ' <span class="badge">pages disagree</span> <span class="badge">checked by SmartPick on 2026-10-01</span>\n'
        '<dt>Not stated on its pages<dd class="ns"><span>B <span class="badge">pages disagree</span></span>; '
        '<span>C <span class="badge">confirmed by the program on 2026-09-09</span></span>; <span>D</span>\n'
        '<dt>Residents<dd>4 of 12 residents listed trained outside the US/Canada (<a href="https://p.example/people">page</a>)</dl>')
    assert "Hidden" not in html and "J1" not in html and "H1B" not in html
    # a roster without its page's address, and no fact the applicant's visa leaves out
    d["roster_url"] = None
    assert page.facts_markup(d, frozenset({"a", "b", "c", "d", "h1b", "j1"})) == (
        "<dl>\n\n<dt>Residents<dd>4 of 12 residents listed trained outside the US/Canada</dl>")


def test_what_a_page_said_is_escaped_and_the_list_is_seven_bit():
    d = {"facts": [_fact("a", label="Visa & <status>", text='"yes"', sentence="O'Brien said <b>café</b> & more",
                         url='https://p.example/?a=1&b="2"', review="a & b")],
         "roster": "1 of 2 <x>", "roster_url": None}
    html = page.facts_markup(d)
    assert html == ('<dl><dt>Visa &amp; &lt;status&gt;<dd>&#34;yes&#34;: <q>O&#39;Brien said &lt;b&gt;café&lt;/b&gt; &amp; more</q> '
                    '(<a href="https://p.example/?a=1&amp;b=&#34;2&#34;">page</a>) <span class="badge">a &amp; b</span>\n\n'
                    '<dt>Residents<dd>1 of 2 &lt;x&gt;</dl>')
    # as it goes into pages (and unencoded into mail): a character beyond ASCII as a reference, once per hidden set
    shown = page.facts_html(d)
    assert shown == html.replace("é", "&#233;") and shown is page.facts_html(d)
    assert page.facts_html(d, frozenset({"a"})) != shown and set(d["facts_html"]) == {frozenset(), frozenset({"a"})}
