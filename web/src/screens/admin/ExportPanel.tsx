import { useState, type FormEvent } from 'react';
import type { ExportKind } from '../../api/client';
import type { Me } from '../../api/types';
import { useServices } from '../../app/services';
import {
  Button,
  Card,
  ErrorNotice,
  SectionTitle,
  SelectField,
  TextField,
} from '../../components/ui';
import { useAction } from '../../hooks/useAction';
import { defaultExportDates, exportWindow, saveBlob } from '../../lib/exports';

const KINDS: { id: ExportKind; title: string }[] = [
  { id: 'reservations', title: 'Reservations' },
  { id: 'ledger', title: 'Ledger' },
  { id: 'utilization', title: 'Utilization per day and spot' },
];

export function ExportPanel({ me }: { me: Me }) {
  const { api } = useServices();
  const zone = me.building.timezone;
  const [kind, setKind] = useState<ExportKind>('reservations');
  const [dates, setDates] = useState(() => defaultExportDates(Date.now(), zone));
  const download = useAction(async () => {
    const { start, end } = exportWindow(dates.from, dates.to, zone);
    const file = await api.adminExport(kind, start, end);
    saveBlob(file.filename ?? `parkshare-${kind}-${dates.from}-${dates.to}.csv`, file.blob);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    download.run().catch(() => {});
  };
  return (
    <Card>
      <SectionTitle>Export</SectionTitle>
      <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">
        A CSV file of whole days in {zone}, the first and last included (at most 366 days); times in
        the file are UTC.
      </p>
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-3">
        <SelectField
          label="Data"
          value={kind}
          onChange={(e) => setKind(e.target.value as ExportKind)}
        >
          {KINDS.map((k) => (
            <option key={k.id} value={k.id}>
              {k.title}
            </option>
          ))}
        </SelectField>
        <TextField
          label="First day"
          type="date"
          required
          value={dates.from}
          max={dates.to}
          onChange={(e) => setDates({ ...dates, from: e.target.value })}
        />
        <TextField
          label="Last day"
          type="date"
          required
          value={dates.to}
          min={dates.from}
          onChange={(e) => setDates({ ...dates, to: e.target.value })}
        />
        <div className="sm:col-span-3">
          <Button type="submit" disabled={download.pending || !dates.from || !dates.to}>
            {download.pending ? 'Preparing…' : 'Download CSV'}
          </Button>
        </div>
      </form>
      {download.error !== null && download.error !== undefined && (
        <div className="mt-4">
          <ErrorNotice error={download.error} />
        </div>
      )}
    </Card>
  );
}
