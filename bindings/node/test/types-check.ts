// Compiled by `tsc --noEmit` when TypeScript is at hand (not a runtime test).
import { Engine, attribute, Journeys, NotFound, type ContactInfo } from '../index';

const e = new Engine({ listener: (ev) => { if (ev.kind === 'contact_merged') console.log(ev.other); }, clock: () => Date.now() });
const id: number = e.upsertContact({ keys: { email: 'a@acme.com' }, attrs: { title: 'CTO', n: 3 }, role: 'champion' });
const ids: number[] = e.addTouches([{ keys: [['email', 'a@acme.com']], channel: 'email', time: new Date() }]);
const info: ContactInfo = e.contact(id);
const j = Journeys.parsePaths('path,total_conversions\na > b,1\n');
const r = attribute(j, 'markov', { markovOrder: 2 });
console.log(ids.length, info.keys[0].value, r.rows[0].conversions, NotFound.name);
e.close();
