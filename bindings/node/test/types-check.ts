// Compiled by `tsc --noEmit` when TypeScript is at hand (not a runtime test).
import { Engine, attribute, Journeys, NotFound, Model, Machine, budgetAllocate, type ContactInfo, type Score, type Report, type StageStatus, type StageRecord } from '../index';

const e = new Engine({ listener: (ev) => { if (ev.kind === 'contact_merged') console.log(ev.other); }, clock: () => Date.now() });
const id: number = e.upsertContact({ keys: { email: 'a@acme.com' }, attrs: { title: 'CTO', n: 3 }, role: 'champion' });
const ids: number[] = e.addTouches([{ keys: [['email', 'a@acme.com']], channel: 'email', time: new Date() }]);
const info: ContactInfo = e.contact(id);
const j = Journeys.parsePaths('path,total_conversions\na > b,1\n');
const r = attribute(j, 'markov', { markovOrder: 2 });
console.log(ids.length, info.keys[0].value, r.rows[0].conversions, NotFound.name);
const m = Model.parse('model m\nengage type = demo +1\n');
e.attachModel(m, (done, total) => done > total);
const sc: Score = e.contactScore(id, 'm', Date.now());
const rep: Report = e.reportDeals({ groupBy: 'owner', asOf: new Date() });
console.log(sc.cell, rep.rows[0].win_rate, budgetAllocate(100, [['a', 1]]).toJson());
e.attachMachine(Machine.default());
e.contactEvent(id, 'sales_reject', { reason: 'bad_fit' });
e.contactEvent(id, 'sales_accept', null, Date.now());
e.tick();
const ss: StageStatus = e.contactStage(id);
const hist: StageRecord[] = e.contactStageHistory(id);
console.log(ss.stage, ss.owner, hist[0].from, Machine.parse(Machine.default().text).stages);
const funnel: Report = e.reportStageFunnel({ groupBy: 'channel', pairs: [['mql', 'sql', 0.15, 0.25], { from: 'sql', to: 'recycled', high: 0.3 }] });
const counts = e.stageCounts({ groupBy: 'none', view: 'inPeriod', sqlStage: null });
console.log(funnel.rows.length, counts.all?.leads, e.reportRejections({ groupBy: 'owner' }).totals,
  e.reportStageCohort({ stage: 'mql', targets: ['sql'], ages: [7] }).rows,
  e.reportStageTimeToConvert({ toStage: 'sql', fromStage: 'mql', windowDays: 14 }).summary);
e.reportRoi({ stageCounts: counts });
e.close();
