
(function () {
  "use strict";
  document.documentElement.className += " js";
  var packed = JSON.parse(document.getElementById("data").textContent);
  var data = packed.r.map(function (v) { var d = {}; packed.k.forEach(function (k, j) { d[k] = v[j]; }); return d; });
  var asks = JSON.parse(document.getElementById("asks").textContent);
  var mail = JSON.parse(document.getElementById("mail").textContent);
  document.querySelector("form.filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
  var body = document.querySelector("#list tbody");
  var rows = Array.prototype.slice.call(body.querySelectorAll("tr"));
  var byI = {}; rows.forEach(function (tr) { byI[tr.getAttribute("data-i")] = tr; });
  // what the row's own cells show
  function num(td) { return td.textContent === "" ? null : Number(td.textContent); }
  // an excluding rule is the text its panel's item opens with, before the quoted sentence
  function ruleText(li) { return li.firstChild.textContent.replace(/: $/, ""); }
  data.forEach(function (d) {
    var tr = byI[d.i], c = tr.cells;
    d.sp = c[0].textContent;
    d.id = tr.id.replace(/^p-/, "");
    d.nm = tr.querySelector("summary").textContent;
    d.ci = c[1].lastElementChild ? c[1].lastElementChild.textContent : "";
    d.st = c[2].textContent;
    d.by = c[4].textContent;
    d.vi = c[5].textContent;
    d.un = num(c[6]);
    d.ir = c[7].textContent;
    d.po = num(c[8]);
    d.ex = Array.prototype.map.call(tr.querySelectorAll("li[data-gate]"), ruleText).join("; ");
  });
  var sort = {key: "", dir: 1};
  var sel = ["sp", "st", "rg", "ti", "vi", "un", "im", "po"];
  var OUTCOMES = ["listed", "open_with_step3", "ask_first", "excluded"];
  // the filters fold behind one button on a phone, so the first program shows in the first screen
  // (and the legend with them); on a wider screen both start open
  if (window.matchMedia && window.matchMedia("(min-width: 701px)").matches) {
    el("filterbox").open = true;
    document.querySelectorAll("details.fold").forEach(function (d) { d.open = true; });
  }
  function el(id) { return document.getElementById(id); }
  function state() {
    var s = {};
    sel.forEach(function (k) { var v = el("f-" + k).value; if (v !== "") s[k] = v; });
    var oc = OUTCOMES.filter(function (o) { return el("f-oc-" + o).checked; });
    if (oc.length < OUTCOMES.length) s.oc = oc.join(",");
    if (sort.key) s.sort = sort.key + (sort.dir < 0 ? "-desc" : "");
    return s;
  }
  function keep(d, s) {
    if (s.sp && d.sp !== s.sp) return false;
    if (s.st && d.st !== s.st) return false;
    if (s.rg && d.rg !== s.rg) return false;
    if (s.ti && d.ti !== s.ti) return false;
    if (s.vi && d.vi !== s.vi) return false;
    if (s.un && d.un > Number(s.un)) return false;
    if (s.im && (d.im === null || d.im < Number(s.im))) return false;
    if (s.po && (d.po === null || d.po < Number(s.po))) return false;
    if (s.oc !== undefined && s.oc.split(",").indexOf(d.oc) < 0) return false;
    return true;
  }
  function apply(push) {
    var s = state(), shown = data.filter(function (d) { return keep(d, s); });
    if (sort.key) {
      shown.sort(function (a, b) {
        var x = a[sort.key], y = b[sort.key];
        if (x === y) return a.i - b.i;
        if (x === null || x === "") return 1;
        if (y === null || y === "") return -1;
        return (x < y ? -1 : 1) * sort.dir;
      });
    }
    rows.forEach(function (tr) { tr.hidden = true; });
    shown.forEach(function (d) { var tr = byI[d.i]; tr.hidden = false; body.appendChild(tr); });
    el("count").textContent = "Showing " + shown.length + " of " + data.length + " programs";
    document.querySelectorAll("#list th").forEach(function (th) {
      if (th.getAttribute("data-key") === sort.key) th.setAttribute("aria-sort", sort.dir < 0 ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    if (push) {
      var parts = Object.keys(s).map(function (k) { return k + "=" + encodeURIComponent(s[k]); });
      history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
    }
    return shown;
  }
  function load() {
    var s = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (p) {
      var kv = p.split("="); if (kv[0]) s[kv[0]] = decodeURIComponent(kv[1] || "");
    });
    sel.forEach(function (k) { el("f-" + k).value = s[k] || ""; });
    OUTCOMES.forEach(function (o) {
      el("f-oc-" + o).checked = s.oc === undefined || s.oc.split(",").indexOf(o) >= 0;
    });
    sort = {key: "", dir: 1};
    if (s.sort) { var m = s.sort.split("-"); sort = {key: m[0], dir: m[1] === "desc" ? -1 : 1}; }
    apply(false);
  }
  function csvCell(v) {
    v = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;
    return /[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  document.querySelector("form.filters").addEventListener("change", function () { apply(true); });
  document.querySelector("form.filters").addEventListener("input", function () { apply(true); });
  el("reset").addEventListener("click", function () { history.replaceState(null, "", location.pathname + location.search); load(); });
  document.querySelectorAll("#list th button").forEach(function (b) {
    b.addEventListener("click", function () {
      var key = b.parentNode.getAttribute("data-key");
      sort = {key: key, dir: sort.key === key ? -sort.dir : (key === "fo" || key === "im" || key === "po" ? -1 : 1)};
      apply(true);
    });
  });
  el("csv").addEventListener("click", function () {
    var head = ["specialty", "program_id", "program_name", "city", "state", "region", "outcome", "tier", "because",
                "visa_route", "facts_not_stated", "img_residents", "positions", "excluded_because", "ask_the_program"];
    var lines = [head.join(",")].concat(apply(false).map(function (d) {
      var ask = d.oc === "ask_first" ? d.as.map(function (f) { return asks[f]; }).join(" ") : "";
      return [d.sp, d.id, d.nm, d.ci, d.st, d.rg, d.oc, d.ti, d.by, d.vi, d.un, d.ir, d.po, d.ex, ask].map(csvCell).join(",");
    }));
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], {type: "text/csv"}));
    a.download = "smartpick-list-v" + document.body.getAttribute("data-version") + "-view.csv";
    document.body.appendChild(a); a.click(); a.remove();
  });
  // each fact of an opened panel gets its "report a mistake" link (the link in every panel of a long
  // list was a tenth of the page), and the open questions' link its message
  var reportTo = document.body.getAttribute("data-report-to");
  // a panel names its facts by label only: the questions at the foot of the page give each label its fact
  function words(node) { return node.textContent.replace(/\s+/g, " ").trim(); }
  var factOf = {};
  document.querySelectorAll("dt[id^='ask-']").forEach(function (dt) { factOf[words(dt)] = dt.id.slice(4); });
  body.addEventListener("toggle", function (ev) {
      var det = ev.target;
      if (!det.open || det.getAttribute("data-rep")) return;
      det.setAttribute("data-rep", "1");
      det.querySelectorAll(".panel dl > dd").forEach(function (x) {
        var fact = factOf[words(x.previousElementSibling)];
        if (fact) x.setAttribute("data-fact", fact);
      });
      det.querySelectorAll("dd.ns > span").forEach(function (x) {
        var fact = factOf[words(x.firstChild)];
        if (!fact) return;
        x.setAttribute("data-fact", fact);
        var a = document.createElement("a");
        a.href = "#ask-" + fact; a.textContent = "ask";
        x.appendChild(document.createTextNode(" (")); x.appendChild(a); x.appendChild(document.createTextNode(")"));
      });
      if (!reportTo) return;
      det.querySelectorAll("dd[data-fact], dd.ns > span[data-fact], li[data-fact]").forEach(function (x) {
        var a = document.createElement("a");
        a.className = "rep"; a.href = "#report"; a.textContent = "report a mistake";
        x.appendChild(document.createTextNode(" \u00b7 ")); x.appendChild(a);
      });
  }, true);
  document.addEventListener("click", function (ev) {
    var q = ev.target.closest ? ev.target.closest("a.askm") : null;
    if (!q) return;
    var d = data[Number(q.closest("tr").getAttribute("data-i"))];
    var to = q.getAttribute("href").split("?")[0];
    q.href = to + "?subject=" + encodeURIComponent(mail.subject + d.nm + (document.body.getAttribute("data-sample") ? mail.sample : "")) +
      "&body=" + encodeURIComponent(mail.intro + d.as.map(function (f) { return "- " + asks[f]; }).join("\n") + mail.outro);
  });
  // "report a mistake": the message to SmartPick's ops address, filled in from the row and the fact
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a.rep") : null;
    if (!a || !reportTo) return;
    // a fact the panel states (dd), one it is silent on (a span of the "not stated" line), or the rule
    // that excludes the program (li, naming its fact)
    var owner = a.closest("[data-fact]"), tr = a.closest("tr");
    var pid = tr.id.replace(/^p-/, ""), name = tr.querySelector("summary").textContent;
    var fact = owner.getAttribute("data-fact");
    // a rule names the fact's value in its own words ("accepts graduates of the last 3 years; ..."); the
    // fact's label is the one its question has at the foot of the page
    var shown = owner.tagName === "DD" ? words(owner.previousElementSibling) + ": " + owner.textContent.split(" \u00b7 report a mistake")[0]
              : owner.tagName === "SPAN" ? words(owner.firstChild) + ": not stated"
              : words(el("ask-" + fact)) + ": " + ruleText(owner);
    var version = document.body.getAttribute("data-version");
    a.href = "mailto:" + reportTo + "?subject=" + encodeURIComponent("SmartPick fact report: " + pid + " " + fact +
      " (list v" + version + ")") + "&body=" + encodeURIComponent(name + "\n" + shown + "\n\nWhat the page says:\n");
  });
  window.addEventListener("hashchange", load);
  load();
})();
