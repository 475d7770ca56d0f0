"""Every component id of the app, in one place (``<kind>-<subject>``).

Row controls are pattern-matching dicts: ``{"type": OPT_LR, "opt": "adam"}``.
"""

STORE_URL = "store-url"  # the page's query string, read once on load
STORE_URL_WRITTEN = "store-url-written"
STORE_BOOT = "store-boot"
STORE_LANDSCAPE = "store-landscape"
STORE_START = "store-start"
STORE_REQUESTED_START = "store-requested-start"
STORE_PICK = "store-pick"  # a start placed on the map: dot dropped, or a click
STORE_TYPED_START = "store-typed-start"  # the x/y boxes' text, when it is not the start's
STORE_MAP_START = "store-map-start"  # a start the map must draw (not one placed on it)
STORE_RUNS = "store-runs"
STORE_QUERY = "store-query"
STORE_SURFACE_QUERY = "store-surface-query"  # the scene, only while the 3-D tab is open
STORE_DRAWN = "store-drawn"  # the landscape the map shows now
STORE_JOB = "store-job"  # a scene too heavy for a request: {"query"} for the background job
STORE_JOB_DONE = "store-job-done"  # what the job found: {"query", "runs", "status"}
PROGRESS_JOB = "progress-job"
TEXT_JOB = "text-job"  # the job bar's label: "waiting: 2 ahead", "40 %"
BUTTON_CANCEL_JOB = "button-cancel-job"
WRAP_JOB = "wrap-job"

GRAPH_CONTOUR = "graph-contour"
GRAPH_OVERLAY = "graph-overlay"
GRAPH_LOSS = "graph-loss"
GRAPH_SURFACE = "graph-surface"
MAP_COL = "map-col"  # the race's view column: its style carries the landscape's aspect
MAP_STACK = "map-stack"  # the contour, the player's canvases and the overlay, stacked
SURFACE_WRAP = "surface-wrap"
INSPECT_WRAP = "inspect-wrap"

BUTTON_PLAY = "button-play"
BUTTON_STEP_BACK = "button-step-back"
BUTTON_STEP_FORWARD = "button-step-forward"
BUTTON_RESET = "button-reset"
SLIDER_EPOCH = "slider-epoch"
TEXT_EPOCH = "text-epoch"
CONTROL_SPEED = "control-speed"
SWITCH_LOG = "switch-log"
TABLE_RESULTS = "table-results"
TABS_VIEW = "tabs-view"
# the race's three views (TABS_VIEW's values, and &view= in its link)
VIEW_MAP = "map"
VIEW_3D = "3d"
VIEW_INSPECT = "inspect"
STORE_INSPECT = "store-inspect"  # {query, epoch}: the step to inspect, while its tab is open
INSPECT_OUT = "inspect-out"
STORE_RECORD_JOB = "store-record-job"  # a heavy scene's first recording: {"query"} for the job
STORE_RECORD_DONE = "store-record-done"  # {"query", "error"} when the recording is stored
STORE_RECORD_SEEN = "store-record-seen"  # written by jobs.recorded (an output is needed)
BUTTON_INSPECT_CSV = "button-inspect-csv"
DOWNLOAD_INSPECT = "download-inspect"
STORE_STEPS_CSV_JOB = "store-steps-csv-job"  # {"query"}: a CSV of every step too long for a request
STORE_STEPS_CSV_DONE = "store-steps-csv-done"  # {"url", "filename"} or {"error"}: the job's end
TEXT_INSPECT_CSV = "text-inspect-csv"  # what became of it

INPUT_START_X = "input-start-x"
INPUT_START_Y = "input-start-y"
INPUT_STEPS = "input-steps"
INPUT_NOISE = "input-noise"  # stochastic gradients: the noise's σ (blank or 0: none)
INPUT_NOISE_SEED = "input-noise-seed"
INPUT_NOISE_RUNS = "input-noise-runs"  # how many noisy runs the cost chart's band spans
# The video export (assets/video.js): its button, panel, settings, progress and Cancel
BUTTON_VIDEO = "button-video"
VIDEO_PANEL = "video-panel"
INPUT_VIDEO_FORMAT = "input-video-format"
INPUT_VIDEO_FROM = "input-video-from"
INPUT_VIDEO_TO = "input-video-to"
INPUT_VIDEO_SECONDS = "input-video-seconds"
INPUT_VIDEO_FPS = "input-video-fps"
INPUT_VIDEO_WIDTH = "input-video-width"
BUTTON_VIDEO_GO = "button-video-go"
BUTTON_VIDEO_CANCEL = "button-video-cancel"
TEXT_VIDEO = "text-video"
STORE_VIDEO = "store-video"  # the export's settings as the link writes them ("" for the defaults)
INPUT_FORMULA = "input-formula"  # your own landscape: f(x, y)
INPUT_DOMAIN = "input-domain"
BUTTON_FORMULA = "button-formula"
TEXT_LANDSCAPE_INFO = "text-landscape-info"
TEXT_STATUS = "text-status"
TEXT_NOTICE = "text-notice"
TEXT_ANNOUNCE = "text-announce"  # a visually hidden live region: what a screen reader is told
TEXT_PRESET_NOTE = "text-preset-note"  # the preset's caption, while the runs shown are its
STORE_PRESET_NOTES = "store-preset-notes"  # {a preset's scene link: its caption}
BUTTON_COPY_LINK = "button-copy-link"
BUTTON_CLASS = "button-class"  # class mode: start or join a class (assets/room.js)
BUTTON_PNG = "button-png"
BUTTON_CSV = "button-csv"
BUTTON_JSON = "button-json"
DOWNLOAD = "download"

STORE_SETTINGS = "store-settings"  # every row's other hyperparameters and schedule
STORE_EDITING = "store-editing"  # the optimizer whose settings panel is open
STORE_ERRORS = "store-errors"
STORE_META = "store-meta"
PANEL_SETTINGS = "panel-settings"
TEXT_SETTINGS_TITLE = "text-settings-title"
TEXT_SETTINGS_FORMULA = "text-settings-formula"
SELECT_SCHEDULE = "select-schedule"
BUTTON_SETTINGS_DONE = "button-settings-done"

# pattern-matching types
LS_CARD = "ls-card"
PRESET = "preset"
OPT_CHECK = "opt-check"
OPT_LR = "opt-lr"
OPT_DECAY = "opt-decay"
OPT_MORE = "opt-more"
HYPER_SLOT = "hyper-slot"  # {"type": HYPER_SLOT, "index": i}: i-th hyperparameter box
SCHED_PARAM = "sched-param"  # {"type": SCHED_PARAM, "key": "warmup"}

# The worked example (momentum by hand)
TABS_PAGE = "tabs-page"
SWITCH_PROJECTOR = "switch-projector"  # projector mode (&projector=1 in the link)
SWITCH_PALETTE = "switch-palette"  # the colour-blind palette (&palette=cb in the link)
PAGE_RACE = "page-race"

# The teaching pages (visualizer/pages/belief.py, lr.py, ewc.py); each writes its link to a store


def page_shown(key: str) -> str:
    """The store that gets a page's key each time the page is shown, once its body is
    on the page (``links.shownPages``, or ``shell.mount`` the first time): a page's
    callbacks take it as their input instead of the page tabs, so switching pages
    costs no request for the pages not shown."""
    return f"{key}-shown"


def page_mount(key: str) -> str:
    """The store that asks for a page's body when the page is shown and its body is
    not on the page yet (``links.shownPages``): only the first page's is in the layout
    the browser loads, each other's is built on the server when first wanted
    (``shell.mount``)."""
    return f"{key}-mount"


def page_link(key: str) -> str:
    """The store that gets a link opened (store-url) only when the link is for that
    page (``links.routeLink``): a page's boxes are set from it, so a link costs no
    request for the pages it does not open."""
    return f"{key}-link"


def as_dict() -> dict[str, str]:
    """Every id above by its name, for the browser half (``window.VIZ_IDS``)."""
    return {name: value for name, value in globals().items()
            if name.isupper() and isinstance(value, str)}
