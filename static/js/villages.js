// The registration form: when the commune changes, offer that commune's villages (no library).
const commune = document.getElementById("commune_code");
const village = document.getElementById("village_id");

if (commune && village && village.dataset.url) {
  commune.addEventListener("change", async () => {
    const keep = village.options[0];
    village.replaceChildren(keep);
    village.value = "";
    if (!commune.value) return;
    try {
      const resp = await fetch(`${village.dataset.url}?commune=${encodeURIComponent(commune.value)}`,
                               { headers: { Accept: "application/json" } });
      if (!resp.ok) return;
      for (const v of await resp.json()) {
        village.append(new Option(v.name, v.id));
      }
    } catch (err) {
      // offline: the resident can leave the village empty
    }
  });
}
