/* help.c -- the texts of `funnelcore --help` and `funnelcore help CMD`. */
#include <string.h>

#include "cli.h"

static const char main_help[] =
"usage: funnelcore COMMAND [options]\n"
"\n"
"The command-line tool of funnelcore, the B2B funnel and marketing-ROI\n"
"library: import CSV exports, attribute revenue to channels, look at\n"
"contacts, and write reports as text, JSON, CSV or one HTML page.\n"
"\n"
"Commands:\n"
"  import      read CSV files, check them and print what was imported\n"
"  attribute   multi-touch attribution over a paths file or imported data\n"
"  show        show contact KIND VALUE: keys, attributes, tags, account,\n"
"              deals, score, lifecycle stage with its history, and\n"
"              timeline of one contact\n"
"  stats       engine counters after an import\n"
"  report      lifecycle stages, deals, velocity, cohorts, time to\n"
"              convert, attribution, ROI and top-scored contacts\n"
"              (--html FILE)\n"
"  score       contacts by lead score: grade, band, A1..D4 cell\n"
"  help CMD    the options of one command\n"
"\n"
"Input (every command that reads data):\n"
"  --touches F  --contacts F  --deals F  --costs F  --accounts F\n"
"                       CSV files (repeatable); see `funnelcore help import`\n"
"  --map FIELD=COLUMN,...     read FIELD from a differently named column\n"
"  --values FIELD:FROM=TO,... rewrite values (status:Won=won,...)\n"
"  --join FILE:COLUMN         add the columns of FILE where COLUMN matches\n"
"  --date-format FMT          %d-%m-%y, %m/%d/%Y, ... (default: ISO 8601\n"
"                             or epoch milliseconds)\n"
"  --amount-scale N           amounts are major units x N (default 100)\n"
"  --amount-decimals D        the same as --amount-scale 10^D\n"
"  --currency CODE            when a row names none (default USD)\n"
"  --strict                   stop at the first bad row (default: skip\n"
"                             bad rows, report each, and count them)\n"
"  --now TIME                 the engine clock (default: the system clock)\n"
"  --store DIR                the file store (see below)\n"
"  --model FILE               scoring model (text format of docs/scoring.md;\n"
"                             default: the built-in model, docs/cli.md);\n"
"                             also --scoring-model FILE\n"
"\n";

/* (two strings: C99 compilers need support only 4095 bytes in one) */
static const char main_help2[] =
"Lifecycle stages (import, show, report, score):\n"
"  --stages FILE              stage machine (text format of docs/stages.md;\n"
"                             default: the built-in waterfall inquiry > mql\n"
"                             > sal > sql > opportunity > customer, with\n"
"                             nurture, recycled, disqualified)\n"
"  --events FILE              host events CSV: identity keys, event\n"
"                             (sales_accept, sales_reject, disqualify, ...),\n"
"                             reason, time; sent in time order with the\n"
"                             touches and deals\n"
"  --no-stages                run no stage machine\n"
"  show and report run the built-in machine unless --stages or\n"
"  --no-stages; import runs it with --store (the store keeps it); score\n"
"  only with --stages or --events.  The machine and the scoring model are\n"
"  attached before the import, and the clock is ticked to --now after it,\n"
"  so idle transitions and SLA deadlines due by then have fired.  A bad\n"
"  machine file is reported as FILE:LINE:COLUMN and exits 2.\n"
"\n"
"Output:\n"
"  -f, --format text|json|csv   (default text: aligned tables)\n"
"  -o, --output FILE            write there instead of stdout\n"
"  -q, --quiet                  no import summary, no progress bar\n"
"\n"
"  funnelcore --version   prints `funnelcore X.Y.Z`\n"
"\n"
"Persistence: without --store, each invocation works on an in-memory\n"
"engine filled from the files named on its command line.  --store DIR\n"
"keeps the engine in the library's file store (created when missing,\n"
"locked while in use): `import --store DIR --deals F` journals the rows\n"
"into it (and writes a snapshot), and later commands with --store DIR start\n"
"from what is stored, plus any files they name.  Importing the same file\n"
"twice adds its touches and costs twice.  Deal dimensions for --group-by\n"
"(extra deal columns) are stored with the deals, so later commands on the\n"
"store group by them too.\n"
"\n"
"A progress bar is drawn on stderr when it is a terminal.  Ctrl-C stops\n"
"between batches.\n"
"\n"
"Exit status: 0 ok; 1 data errors (bad rows were skipped, or --strict\n"
"stopped, or a file could not be read); 2 usage errors; 130 interrupted.\n"
"Errors name FILE:LINE:COLUMN.\n";

static const char import_help[] =
"usage: funnelcore import [--store DIR] --deals F [--touches F] ... [options]\n"
"\n"
"Read CSV files into the engine (with --store DIR: into the file store,\n"
"journaled, then a snapshot) and print, per file, rows read, imported\n"
"and skipped, with notes (deals without created date, without account,\n"
"...).  Files: UTF-8 (BOM or not), RFC 4180 quoting, LF or CRLF, a header\n"
"row; header names are matched case-insensitively, column order is free.\n"
"\n"
"Fields per kind (other columns: contacts and accounts keep them as\n"
"attributes, deals as report dimensions, touches ignore them):\n"
"  touches   time, identity keys, account, channel, campaign, content,\n"
"            type, url (UTM parsed), referrer, utm_*, value\n"
"  contacts  identity keys, account, owner, role, tags (a;b), source, time\n"
"            (without a time, while a stage machine runs: the contact's\n"
"            first touch, else the earliest touch)\n"
"  deals     deal_id, account, contact (or identity keys), role, amount,\n"
"            currency, created, closed, status (open/won/lost), stage, owner\n"
"  costs     channel, campaign, region, start + end (or quarter 2025-Q1,\n"
"            or month 2025-03), amount, currency\n"
"  accounts  account, domain (a;b), owner; the rest are attributes\n"
"  events    (--events) identity keys, event, reason, time\n"
"Identity keys: email, phone, wechat_id, wecom_id, cookie_id, device_id,\n"
"crm_id, plus --key-columns a,b.\n"
"\n"
"  --map deal_id=opportunity_id,owner=sales_agent,status=deal_stage\n"
"  --values status:Won=won,Lost=lost,Engaging=open,Prospecting=open\n"
"            (the original status is kept as the deal's stage)\n"
"  --join sales_teams.csv:sales_agent   adds manager, regional_office\n"
"  --join accounts.csv:account          adds sector, ... as account attributes\n"
"            (a join on the account column sets account attributes; keys\n"
"            match exactly, else ignoring case, spaces and punctuation)\n"
"  --date-format %d-%m-%y   --amount-scale 100   --strict\n"
"  --stages FILE, --no-stages, --events FILE   (see funnelcore --help);\n"
"            with --store the machine is journaled with the data\n"
"  --format json: the import summary as JSON\n";

static const char attribute_help[] =
"usage: funnelcore attribute --paths FILE --model MODEL[,MODEL...]\n"
"                            [--order K] [--format text|json|csv]\n"
"       funnelcore attribute --touches F --deals F [--by channel] ...\n"
"\n"
"Multi-touch attribution.  --paths reads a ChannelAttribution-compatible\n"
"file (path \"a > b > c\", total_conversions, total_conversion_value,\n"
"total_null).  Without --paths, the library builds journeys from the\n"
"imported data (fnl_engine_attribution_partial): each won deal converts\n"
"(value: its amount) with the touches of its buying group in the lookback\n"
"window before its close; each lost deal, and each touched account or\n"
"contact on no deal, is a non-converting journey.\n"
"\n"
"  -m, --model LIST     (also --models) first, last, last_non_direct,\n"
"                       linear, u_shaped,\n"
"                       w_shaped, z_shaped, j_shaped, inverse_j, custom,\n"
"                       markov, shapley, shapley_ordered, time_decay (not\n"
"                       with --paths); default: first,last,linear,u_shaped,\n"
"                       markov,shapley\n"
"  --order K            Markov order 1..4 (default 1)\n"
"  --value-decimals D   decimals kept of path values (default 2)\n"
"  --separator C        channel separator in paths (default '>')\n"
"  --by FIELD           group touches by channel (default), campaign,\n"
"                       content, type, utm_source, utm_medium,\n"
"                       utm_campaign, channel_campaign, owner,\n"
"                       contact:ATTR or account:ATTR\n"
"  --scope S            account (default: the deal's buying group) or\n"
"                       contact (the deal's contacts only)\n"
"  --lookback DAYS      touches this many days before the conversion\n"
"                       (default 90; `unlimited`)\n"
"  --conversion C       won (default: won deals, at close) or created\n"
"                       (pipeline: every deal, at creation)\n"
"\n"
"--format json with one model prints exactly\n"
"  {\"model\": \"markov\", \"total_conversions\": N, \"total_value\": V,\n"
"   \"rows\": [{\"key\": \"channel\", \"conversions\": c, \"value\": v}, ...]}\n"
"(rows sum to the totals); with several models {\"results\": [...]}.\n"
"Credits are rounded to at most 9 decimals and 10 significant digits, the\n"
"rounding residue on the largest row, so the printed rows add up.\n"
"--format csv prints model,key,conversions,value rows.\n";

static const char show_help[] =
"usage: funnelcore show contact KIND VALUE --touches F [--contacts F] ...\n"
"                               [--model FILE] [--stages FILE] [--events F]\n"
"\n"
"One contact found by an identity key (e.g. `show contact email\n"
"ana@acme.com`): its keys, attributes, tags, owner, role, account,\n"
"deals, its score under the scoring model (fit, engagement, grade, band,\n"
"cell, key events, thresholds) with one explanation row per rule, its\n"
"lifecycle stage (entered, owner, stages reached) with its history\n"
"(transitions, stages passed, assignments, SLA breaches), and its\n"
"touches in time order.  --format json for a JSON object; --format csv\n"
"for the touches and the stage history in one time-ordered table.\n";

static const char score_help[] =
"usage: funnelcore score --contacts F --touches F ... [--model FILE]\n"
"                        [--top N] [--format text|json|csv]\n"
"\n"
"Attach the scoring model (--model FILE, text format of docs/scoring.md;\n"
"default: the built-in model printed in docs/cli.md) to the imported\n"
"contacts and list the top N (default 20) by score, with fit, engagement,\n"
"grade, A1..D4 cell, key events fired and thresholds met, and the number\n"
"of contacts per cell.  Scores are read at --now.  --format csv: the top\n"
"contacts only.  With --stages FILE (or --events F) a stage machine runs\n"
"and the top contacts get a `stage` column.\n";

static const char stats_help[] =
"usage: funnelcore stats --touches F ... [--format json]\n"
"\n"
"The engine's counters after importing the files: contacts, merges,\n"
"accounts, touches, deals, costs, identity keys, strings, memory.\n";

static const char report_help[] =
"usage: funnelcore report --deals F [--touches F] [--costs F] ...\n"
"                         [--format text|json|csv] [--html FILE]\n"
"\n"
"Sections: overview (engine counters), lifecycle stages (contacts in\n"
"each stage now, and that reached it: the built-in machine, or\n"
"--stages FILE; --no-stages for none), deals (count, won, lost, open,\n"
"win rate, won amount, pipeline, average won deal, median and p90 days to\n"
"win, forecast), funnel, deals by stage, by owner and by each --group-by\n"
"dimension, cohorts by month created, time to convert (Kaplan-Meier curve,\n"
"median, cold day), attribution by model side by side (touches and won\n"
"deals), ROI by channel (costs), top contacts by score and contacts per\n"
"score cell (contacts).  Deal numbers come from the library's reports.\n"
"\n"
"  --html FILE        also write one self-contained HTML page with SVG\n"
"                     charts (funnel, stages, velocity, time to convert,\n"
"                     attribution, ROI)\n"
"  -m, --models LIST  attribution models (default first,last,linear,\n"
"                     u_shaped,markov,shapley); --model LIST too when every\n"
"                     item is a model name, else --model is a scoring model\n"
"  --roi-model M      the model whose value ROI uses (default linear)\n"
"  --group-by LIST    break deals down by: stage, account, currency,\n"
"                     status, deal columns (product, manager, ...) and\n"
"                     account attributes (sector, ...)\n"
"  --by FIELD         attribution groups: channel (default), campaign, ...\n"
"  --scope S, --lookback DAYS   journeys (see funnelcore help attribute)\n"
"  --cohort-period P  week, month (default), quarter or year\n"
"  --top N            top contacts by score listed (default 10)\n"
"  --model FILE       the scoring model (default: built-in)\n"
"  --title TEXT       the report's title\n"
"--format json: one object, schema in docs/cli.md; --format csv: rows of\n"
"section,key,metric,value.\n";

void cli_help_main(FILE *out)
{
    fputs(main_help, out);
    fputs(main_help2, out);
}

int cli_help_cmd(const char *cmd, FILE *out)
{
    static const struct {
        const char *name, *text;
    } h[] = {{"import", import_help},   {"attribute", attribute_help},
             {"show", show_help},       {"stats", stats_help},
             {"report", report_help},   {"score", score_help},
             {NULL, NULL}};
    for (int i = 0; h[i].name; i++)
        if (strcmp(h[i].name, cmd) == 0) {
            fputs(h[i].text, out);
            return 0;
        }
    return -1;
}
