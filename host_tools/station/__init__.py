"""The sync station: a local web app for health workers (`bztoken station`).

service.Station does the work (ports, syncs, lists, matches, registry actions, audit); server serves it
over HTTP on 127.0.0.1 with a login; static/ is the page (plain HTML, CSS and JS, nothing from the internet);
i18n.json holds its Vietnamese and English texts."""
