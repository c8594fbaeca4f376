import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
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

// Each kind's title is `export.kinds.<kind>` in the admin namespace.
const KINDS: ExportKind[] = ['reservations', 'ledger', 'utilization'];

export function ExportPanel({ me }: { me: Me }) {
  const { t } = useTranslation('admin');
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
      <SectionTitle>{t('export.title')}</SectionTitle>
      <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">
        {t('export.intro', { zone })}
      </p>
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-3">
        <SelectField
          label={t('export.data')}
          value={kind}
          onChange={(e) => setKind(e.target.value as ExportKind)}
        >
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`export.kinds.${k}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('export.firstDay')}
          type="date"
          required
          value={dates.from}
          max={dates.to}
          onChange={(e) => setDates({ ...dates, from: e.target.value })}
        />
        <TextField
          label={t('export.lastDay')}
          type="date"
          required
          value={dates.to}
          min={dates.from}
          onChange={(e) => setDates({ ...dates, to: e.target.value })}
        />
        <div className="sm:col-span-3">
          <Button type="submit" disabled={download.pending || !dates.from || !dates.to}>
            {t(download.pending ? 'export.preparing' : 'export.download')}
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
