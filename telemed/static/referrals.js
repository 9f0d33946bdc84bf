// Progressive enhancement of the "refer" form: the suggested centres follow the needs as
// they are ticked, without reloading. Without JavaScript the "Find centres" button does it.
(function () {
  "use strict";
  function enhance(box) {
    if (box.dataset.enhanced) { return; }
    box.dataset.enhanced = "1";
    var needsForm = box.querySelector(".refer-needs");
    var create = box.querySelector(".refer-create");
    var select = create.querySelector("select[name='to_centre_id']");
    var applied = create.querySelector(".refer-applied");
    var summary = create.querySelector(".refer-summary");
    function hidden(name, value) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = name; input.value = value;
      return input;
    }
    var latest = 0;  // only the newest request's answer is applied (answers may cross)
    function refresh() {
      var request = ++latest;
      var type = needsForm.querySelector("select[name='transplant_type']");
      var unit = needsForm.querySelector("input[value='has_transplant_unit']");
      if (type.value && unit) { unit.checked = true; }  // a transplant needs a transplant unit
      var ticked = Array.prototype.slice.call(needsForm.querySelectorAll("input[name='needs']:checked"));
      var params = new URLSearchParams({ case_id: box.dataset.caseId });
      ticked.forEach(function (input) { params.append("needs", input.value); });
      var typeValue = type.value, typeName = type.value ? type.options[type.selectedIndex].textContent : "";
      if (typeValue) { params.set("transplant_type", typeValue); }
      window.telemedFetch(box.dataset.suggestionsUrl + "?" + params.toString(), {
        headers: { Accept: "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      }).then(function (centres) {
        if (request !== latest) { return; }  // a newer choice is on its way
        var options = centres.map(function (c) { return new Option(c.name + " · " + c.state, c.id); });
        if (!options.length) { options = [new Option(box.dataset.none, "")]; }
        select.replaceChildren.apply(select, options);
        var inputs = ticked.map(function (input) { return hidden("needs", input.value); });
        if (typeValue) { inputs.push(hidden("transplant_type", typeValue)); }
        applied.replaceChildren.apply(applied, inputs);
        var names = ticked.map(function (input) {
          return needsForm.querySelector("label[for='" + input.id + "']").textContent;
        });
        var text = summary.dataset.needsLabel + ": " + (names.join(", ") || "—");
        if (typeValue) { text += " · " + summary.dataset.transplantLabel + ": " + typeName; }
        summary.textContent = text;
      }).catch(function () { /* keep the server-rendered list; "Find centres" still works */ });
    }
    needsForm.addEventListener("change", refresh);
  }
  document.querySelectorAll(".refer-form").forEach(enhance);
})();
